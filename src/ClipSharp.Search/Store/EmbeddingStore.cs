using ClipSharp.Search.Vectors;
using Microsoft.Data.Sqlite;

namespace ClipSharp.Search.Store;

/// <summary>
/// The SQLite database behind an image index: <c>images</c> (one row per file), <c>embeddings</c>
/// (one vector per image and model, float16 or float32 blob), <c>failures</c> (files that could not be
/// indexed) and <c>meta</c> (schema version, root, model id, ...). WAL journal, synchronous=FULL:
/// every committed <see cref="StoreBatch"/> survives a crash of the process, and an uncommitted one
/// leaves no trace. One connection; not thread-safe (callers serialise access).
/// </summary>
public sealed class EmbeddingStore : IDisposable
{
    public const int SchemaVersion = 1;

    private readonly SqliteConnection _db;

    public string DatabasePath { get; }

    private EmbeddingStore(string path, SqliteConnection db)
    {
        DatabasePath = path;
        _db = db;
    }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>.</summary>
    public static EmbeddingStore Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var cs = new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, Mode = SqliteOpenMode.ReadWriteCreate }.ToString();
        var db = new SqliteConnection(cs);
        try
        {
            db.Open();
            Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;");
            var store = new EmbeddingStore(full, db);
            store.EnsureSchema();
            return store;
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new IndexFormatException(full, $"cannot open index database: {e.Message}", e);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    private void EnsureSchema()
    {
        // fast path without a write lock, so readers can open while a writer holds a transaction
        using (var probe = Command("SELECT value FROM meta WHERE key = 'schema_version'"))
        {
            string? existing = null;
            try { existing = probe.ExecuteScalar() as string; }
            catch (SqliteException e) when (e.SqliteErrorCode == 1) { /* no meta table yet */ }
            if (existing == SchemaVersion.ToString()) return;
            if (existing != null)
                throw new IndexFormatException(DatabasePath, $"meta.schema_version is {existing}, this build reads {SchemaVersion}");
        }
        using var tx = _db.BeginTransaction();
        Exec(_db, """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS images (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                path TEXT NOT NULL UNIQUE,
                size INTEGER NOT NULL,
                mtime_ticks INTEGER NOT NULL,
                sha256 BLOB NOT NULL,
                width INTEGER NOT NULL,
                height INTEGER NOT NULL,
                added_utc_ticks INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS images_sha256 ON images(sha256);
            CREATE TABLE IF NOT EXISTS embeddings (
                image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                model_id TEXT NOT NULL,
                dim INTEGER NOT NULL,
                dtype INTEGER NOT NULL,
                vector BLOB NOT NULL,
                PRIMARY KEY (image_id, model_id));
            CREATE TABLE IF NOT EXISTS failures (
                path TEXT PRIMARY KEY,
                size INTEGER NOT NULL,
                mtime_ticks INTEGER NOT NULL,
                reason TEXT NOT NULL);
            """, tx);
        var version = GetMeta("schema_version", tx);
        if (version == null)
        {
            SetMeta("schema_version", SchemaVersion.ToString(), tx);
            SetMeta("instance_id", Guid.NewGuid().ToString("N"), tx);
            SetMeta("created_utc", DateTime.UtcNow.ToString("O"), tx);
        }
        else if (version != SchemaVersion.ToString())
            throw new IndexFormatException(DatabasePath, $"meta.schema_version is {version}, this build reads {SchemaVersion}");
        tx.Commit();
    }

    /// <summary>Random id minted when the database was created; ties derived files (the HNSW graph) to it.</summary>
    public string InstanceId => GetMeta("instance_id") ?? throw new IndexFormatException(DatabasePath, "meta.instance_id missing");

    public string? GetMeta(string key) => GetMeta(key, null);

    private string? GetMeta(string key, SqliteTransaction? tx)
    {
        using var cmd = Command("SELECT value FROM meta WHERE key = $k", tx);
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() as string;
    }

    public void SetMeta(string key, string value) => SetMeta(key, value, null);

    private void SetMeta(string key, string value, SqliteTransaction? tx)
    {
        using var cmd = Command("INSERT INTO meta(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value", tx);
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }

    public int ImageCount()
    {
        using var cmd = Command("SELECT COUNT(*) FROM images");
        return Convert.ToInt32(cmd.ExecuteScalar());
    }

    /// <summary>Every image row, ordered by id.</summary>
    public List<ImageRecord> LoadImages()
    {
        using var cmd = Command("SELECT id, path, size, mtime_ticks, sha256, width, height, added_utc_ticks FROM images ORDER BY id");
        using var r = cmd.ExecuteReader();
        var list = new List<ImageRecord>();
        while (r.Read()) list.Add(ReadImage(r));
        return list;
    }

    public ImageRecord? GetImage(long id)
    {
        using var cmd = Command("SELECT id, path, size, mtime_ticks, sha256, width, height, added_utc_ticks FROM images WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadImage(r) : null;
    }

    public ImageRecord? FindByPath(string relativePath)
    {
        using var cmd = Command("SELECT id, path, size, mtime_ticks, sha256, width, height, added_utc_ticks FROM images WHERE path = $p");
        cmd.Parameters.AddWithValue("$p", relativePath);
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadImage(r) : null;
    }

    private static ImageRecord ReadImage(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), (byte[])r.GetValue(4), r.GetInt32(5), r.GetInt32(6),
        new DateTime(r.GetInt64(7), DateTimeKind.Utc));

    public Dictionary<string, FailureRecord> LoadFailures()
    {
        using var cmd = Command("SELECT path, size, mtime_ticks, reason FROM failures");
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, FailureRecord>(StringComparer.Ordinal);
        while (r.Read()) map[r.GetString(0)] = new FailureRecord(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetString(3));
        return map;
    }

    /// <summary>Number of embeddings stored for a model.</summary>
    public int EmbeddingCount(string modelId)
    {
        using var cmd = Command("SELECT COUNT(*) FROM embeddings WHERE model_id = $m");
        cmd.Parameters.AddWithValue("$m", modelId);
        return Convert.ToInt32(cmd.ExecuteScalar());
    }

    /// <summary>The stored embedding of one image (as float32), or null.</summary>
    public float[]? GetEmbedding(long imageId, string modelId)
    {
        using var cmd = Command("SELECT dim, dtype, vector FROM embeddings WHERE image_id = $id AND model_id = $m");
        cmd.Parameters.AddWithValue("$id", imageId);
        cmd.Parameters.AddWithValue("$m", modelId);
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        var v = new float[r.GetInt32(0)];
        VectorBlob.Decode(CheckedBlob(r, imageId, v.Length), (VectorPrecision)r.GetInt32(1), v);
        return v;
    }

    /// <summary>
    /// All embeddings of a model as one contiguous (R, D) matrix in <paramref name="precision"/>, rows
    /// ordered by ascending image id (returned alongside).
    /// </summary>
    public (long[] Ids, EmbeddingMatrix Matrix) LoadMatrix(string modelId, int dimension, VectorPrecision precision)
    {
        int n = EmbeddingCount(modelId);
        var ids = new long[n];
        float[]? f32 = precision == VectorPrecision.Float32 ? new float[(long)n * dimension] : null;
        Half[]? f16 = precision == VectorPrecision.Float16 ? new Half[(long)n * dimension] : null;
        using var cmd = Command("SELECT image_id, dim, dtype, vector FROM embeddings WHERE model_id = $m ORDER BY image_id");
        cmd.Parameters.AddWithValue("$m", modelId);
        using var r = cmd.ExecuteReader();
        int row = 0;
        while (r.Read())
        {
            if (row == n) throw new IndexFormatException(DatabasePath, $"embeddings for '{modelId}' changed while loading");
            long id = r.GetInt64(0);
            int dim = r.GetInt32(1);
            if (dim != dimension)
                throw new IndexMismatchException($"{DatabasePath}: embedding of image {id} has dimension {dim}, expected {dimension}");
            var blob = CheckedBlob(r, id, dim, dimColumn: 1, blobColumn: 3, dtypeColumn: 2);
            var p = (VectorPrecision)r.GetInt32(2);
            if (f32 != null) VectorBlob.Decode(blob, p, f32.AsSpan(row * dimension, dimension));
            else VectorBlob.Decode(blob, p, f16.AsSpan(row * dimension, dimension));
            ids[row++] = id;
        }
        if (row != n) throw new IndexFormatException(DatabasePath, $"expected {n} embeddings for '{modelId}', read {row}");
        var matrix = f32 != null ? new EmbeddingMatrix(n, dimension, f32) : new EmbeddingMatrix(n, dimension, f16!);
        return (ids, matrix);
    }

    private byte[] CheckedBlob(SqliteDataReader r, long id, int dim, int dimColumn = 0, int blobColumn = 2, int dtypeColumn = 1)
    {
        int dtype = r.GetInt32(dtypeColumn);
        if (dtype is not (1 or 2))
            throw new IndexFormatException(DatabasePath, $"embedding of image {id}: dtype {dtype}, expected 1 (float32) or 2 (float16)");
        var blob = (byte[])r.GetValue(blobColumn);
        int expected = dim * VectorBlob.BytesPerElement((VectorPrecision)dtype);
        if (blob.Length != expected)
            throw new IndexFormatException(DatabasePath, $"embedding of image {id}: blob has {blob.Length} bytes, expected {expected}");
        return blob;
    }

    /// <summary>Starts a transaction; nothing it writes is visible or durable until <see cref="StoreBatch.Commit"/>.</summary>
    public StoreBatch BeginBatch() => new(this, _db, _db.BeginTransaction());

    /// <summary>Runs SQLite's integrity and foreign-key checks; returns "ok" or the problems found.</summary>
    public string CheckIntegrity()
    {
        using var cmd = Command("PRAGMA integrity_check");
        var integrity = cmd.ExecuteScalar() as string ?? "no result";
        using var fk = Command("PRAGMA foreign_key_check");
        using var r = fk.ExecuteReader();
        var problems = new List<string>();
        while (r.Read()) problems.Add($"{r.GetString(0)} row {r.GetValue(1)} violates a foreign key");
        using var orphan = Command("SELECT COUNT(*) FROM images i WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.image_id = i.id)");
        long orphans = Convert.ToInt64(orphan.ExecuteScalar());
        if (orphans > 0) problems.Add($"{orphans} images have no embedding");
        return integrity == "ok" && problems.Count == 0 ? "ok" : string.Join("; ", problems.Prepend(integrity));
    }

    internal SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private static void Exec(SqliteConnection db, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }

    public void Dispose() => _db.Dispose();
}
