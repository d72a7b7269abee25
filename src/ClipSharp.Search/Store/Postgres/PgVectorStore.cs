using Npgsql;
using Pgvector;

namespace ClipSharp.Search.Store.Postgres;

/// <summary>A finished row: id, relative path, size in pixels and (when asked for) the stored embedding.</summary>
public sealed record PgIndexedRow(long Id, string Path, int Width, int Height, float[]? Embedding);

/// <summary>A file the work queue handed to one worker: id, path relative to the collection root, size, mtime.</summary>
public sealed record PgClaim(long Id, string Path, long Size, long MtimeTicks);

/// <summary>A nearest-neighbour hit from pgvector: id, relative path, cosine similarity.</summary>
public sealed record PgHit(long Id, string Path, float Score);

/// <summary>
/// An image collection in PostgreSQL with pgvector (PostgreSQL ≥ 15, pgvector ≥ 0.7). One table holds
/// every file of the collection with its state (pending / done / failed), the worker that claimed it and
/// until when (a lease), and its unit embedding as <c>vector(D)</c> under an HNSW index
/// (<c>vector_cosine_ops</c>). Workers claim pending files in batches with <c>FOR UPDATE SKIP LOCKED</c>;
/// a claim whose lease expired (its worker died) is claimable again; results are committed per batch,
/// and only by the worker still holding the claim. Schema and model identity are recorded in
/// <c>clipsharp_meta</c>; opening with another model or dimension throws <see cref="IndexMismatchException"/>.
/// </summary>
public sealed class PgVectorStore : IDisposable
{
    public const int SchemaVersion = 1;
    private readonly NpgsqlDataSource _ds;

    public string ModelId { get; }
    public int Dimension { get; }

    private PgVectorStore(NpgsqlDataSource ds, string modelId, int dimension)
    {
        _ds = ds; ModelId = modelId; Dimension = dimension;
    }

    /// <summary>True when <paramref name="db"/> names a Postgres database (URL or keyword connection string) rather than a SQLite file.</summary>
    public static bool IsPostgres(string db) =>
        db.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || db.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || db.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>Converts <c>postgres://user:pass@host:port/db</c> to an Npgsql connection string; keyword strings pass through.</summary>
    public static string ToConnectionString(string db)
    {
        if (!db.Contains("://", StringComparison.Ordinal)) return db;
        var uri = new Uri(db);
        var b = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port };
        var db0 = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (db0.Length > 0) b.Database = db0;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) b.Password = Uri.UnescapeDataString(parts[1]);
        }
        return b.ToString();
    }

    /// <summary>Connects, creates the schema on first use (versioned) and checks the stored model identity.</summary>
    public static PgVectorStore Open(string db, string modelId, int dimension)
    {
        if (dimension <= 0) throw new ArgumentException($"dimension must be positive, got {dimension}");
        var builder = new NpgsqlDataSourceBuilder(ToConnectionString(db));
        builder.UseVector();
        var ds = builder.Build();
        try
        {
            using (var c = ds.OpenConnection())
            using (var ext = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS vector", c)) ext.ExecuteNonQuery();
            ds.Dispose();
            // reload types so the vector type just created is known to this data source
            builder = new NpgsqlDataSourceBuilder(ToConnectionString(db));
            builder.UseVector();
            ds = builder.Build();
            var store = new PgVectorStore(ds, modelId, dimension);
            store.EnsureSchema();
            return store;
        }
        catch
        {
            ds.Dispose();
            throw;
        }
    }

    /// <summary>A value of clipsharp_meta, or null.</summary>
    public string? GetMeta(string key)
    {
        using var c = _ds.OpenConnection();
        using var cmd = new NpgsqlCommand("SELECT value FROM clipsharp_meta WHERE key = $1", c);
        cmd.Parameters.AddWithValue(key);
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>Sets a clipsharp_meta value unless one is already there.</summary>
    public void SetMetaIfAbsent(string key, string value)
    {
        using var c = _ds.OpenConnection();
        using var cmd = new NpgsqlCommand("INSERT INTO clipsharp_meta(key, value) VALUES($1, $2) ON CONFLICT (key) DO NOTHING", c);
        cmd.Parameters.AddWithValue(key); cmd.Parameters.AddWithValue(value);
        cmd.ExecuteNonQuery();
    }

    /// <summary>The model id and dimension a collection was created with; null when the database holds none.</summary>
    public static (string ModelId, int Dimension)? ReadIdentity(string db)
    {
        using var c = new NpgsqlConnection(ToConnectionString(db));
        c.Open();
        using (var t = new NpgsqlCommand("SELECT to_regclass('clipsharp_meta') IS NOT NULL", c))
            if (!(bool)t.ExecuteScalar()!) return null;
        var meta = new Dictionary<string, string>();
        using (var cmd = new NpgsqlCommand("SELECT key, value FROM clipsharp_meta", c))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) meta[r.GetString(0)] = r.GetString(1);
        if (!meta.TryGetValue("model_id", out var model) || !int.TryParse(meta.GetValueOrDefault("dimension"), out int dim)) return null;
        return (model, dim);
    }

    private void EnsureSchema()
    {
        using var c = _ds.OpenConnection();
        using var tx = c.BeginTransaction();
        Exec(c, tx, "SELECT pg_advisory_xact_lock(7316001)"); // one creator at a time
        Exec(c, tx, "CREATE TABLE IF NOT EXISTS clipsharp_meta (key text PRIMARY KEY, value text NOT NULL)");
        var meta = new Dictionary<string, string>();
        using (var cmd = new NpgsqlCommand("SELECT key, value FROM clipsharp_meta", c, tx))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) meta[r.GetString(0)] = r.GetString(1);
        if (meta.TryGetValue("schema_version", out var v))
        {
            if (v != SchemaVersion.ToString())
                throw new IndexFormatException("postgres", $"clipsharp_meta.schema_version is {v}, this build reads {SchemaVersion}");
            if (meta.GetValueOrDefault("model_id") != ModelId || meta.GetValueOrDefault("dimension") != Dimension.ToString())
                throw new IndexMismatchException(
                    $"the collection holds embeddings of model '{meta.GetValueOrDefault("model_id")}' ({meta.GetValueOrDefault("dimension")}-d); " +
                    $"this run uses '{ModelId}' ({Dimension}-d). Use another database or drop the collection.");
            tx.Commit();
            return;
        }
        Exec(c, tx, $"""
            CREATE TABLE clipsharp_images (
                id bigserial PRIMARY KEY,
                path text NOT NULL UNIQUE,
                size bigint NOT NULL,
                mtime_ticks bigint NOT NULL,
                state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
                claimed_by text,
                lease_until timestamptz,
                reason text,
                width int, height int,
                embedding vector({Dimension}));
            CREATE INDEX clipsharp_images_pending ON clipsharp_images (id) WHERE state = 'pending';
            CREATE INDEX clipsharp_images_embedding ON clipsharp_images USING hnsw (embedding vector_cosine_ops);
            """);
        foreach (var (k, val) in new[] { ("schema_version", SchemaVersion.ToString()), ("model_id", ModelId), ("dimension", Dimension.ToString()) })
        {
            using var ins = new NpgsqlCommand("INSERT INTO clipsharp_meta(key, value) VALUES($1, $2)", c, tx);
            ins.Parameters.AddWithValue(k); ins.Parameters.AddWithValue(val);
            ins.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>Adds files not yet in the collection as pending (existing paths are left as they are). Returns how many were new.</summary>
    public int Enqueue(IEnumerable<(string Path, long Size, long MtimeTicks)> files)
    {
        using var c = _ds.OpenConnection();
        using var tx = c.BeginTransaction();
        int added = 0;
        using var cmd = new NpgsqlCommand("INSERT INTO clipsharp_images(path, size, mtime_ticks) VALUES($1, $2, $3) ON CONFLICT (path) DO NOTHING", c, tx);
        cmd.Parameters.Add(new NpgsqlParameter()); cmd.Parameters.Add(new NpgsqlParameter()); cmd.Parameters.Add(new NpgsqlParameter());
        foreach (var f in files)
        {
            cmd.Parameters[0].Value = f.Path; cmd.Parameters[1].Value = f.Size; cmd.Parameters[2].Value = f.MtimeTicks;
            added += cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return added;
    }

    /// <summary>
    /// Makes the collection's file list that of <paramref name="files"/> (a full walk of the folder): new paths are
    /// added as pending; a path whose size or mtime changed is pending again (embedding, failure and claim cleared,
    /// so a late commit of the old content by another worker is refused); paths no longer in the folder are
    /// deleted. One transaction. Every worker must walk the same folder with the same excludes.
    /// </summary>
    public (int Added, int Changed, int Removed) Synchronize(IReadOnlyCollection<(string Path, long Size, long MtimeTicks)> files)
    {
        using var c = _ds.OpenConnection();
        using var tx = c.BeginTransaction();
        int added = 0, changed = 0;
        using (var cmd = new NpgsqlCommand("""
            INSERT INTO clipsharp_images AS i (path, size, mtime_ticks) VALUES ($1, $2, $3)
            ON CONFLICT (path) DO UPDATE SET size = EXCLUDED.size, mtime_ticks = EXCLUDED.mtime_ticks, state = 'pending',
                embedding = NULL, reason = NULL, width = NULL, height = NULL, claimed_by = NULL, lease_until = NULL
            WHERE i.size <> EXCLUDED.size OR i.mtime_ticks <> EXCLUDED.mtime_ticks
            RETURNING (xmax = 0)
            """, c, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter()); cmd.Parameters.Add(new NpgsqlParameter()); cmd.Parameters.Add(new NpgsqlParameter());
            foreach (var f in files)
            {
                cmd.Parameters[0].Value = f.Path; cmd.Parameters[1].Value = f.Size; cmd.Parameters[2].Value = f.MtimeTicks;
                if (cmd.ExecuteScalar() is bool inserted) { if (inserted) added++; else changed++; }
            }
        }
        int removed;
        using (var del = new NpgsqlCommand("DELETE FROM clipsharp_images WHERE NOT (path = ANY($1))", c, tx))
        {
            del.Parameters.AddWithValue(files.Select(f => f.Path).ToArray());
            removed = del.ExecuteNonQuery();
        }
        tx.Commit();
        return (added, changed, removed);
    }

    /// <summary>
    /// Claims up to <paramref name="count"/> pending files for <paramref name="worker"/> until now + <paramref name="lease"/>:
    /// rows locked by another claimer are skipped (<c>FOR UPDATE SKIP LOCKED</c>), rows whose lease expired are taken over.
    /// </summary>
    public List<PgClaim> Claim(string worker, int count, TimeSpan lease)
    {
        using var c = _ds.OpenConnection();
        using var cmd = new NpgsqlCommand("""
            UPDATE clipsharp_images SET claimed_by = $1, lease_until = now() + make_interval(secs => $2)
            WHERE id IN (SELECT id FROM clipsharp_images
                         WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < now())
                         ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING id, path, size, mtime_ticks
            """, c);
        cmd.Parameters.AddWithValue(worker); cmd.Parameters.AddWithValue(lease.TotalSeconds); cmd.Parameters.AddWithValue(count);
        var list = new List<PgClaim>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new PgClaim(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        list.Sort((a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    /// <summary>
    /// Commits one batch of results in one transaction: embeddings (unit vectors of length <see cref="Dimension"/>) or
    /// failure reasons. Rows no longer claimed by <paramref name="worker"/> (lease expired and taken over) are not
    /// written; returns how many were.
    /// </summary>
    public int Complete(string worker, IReadOnlyList<(long Id, float[]? Embedding, int Width, int Height, string? Failure)> results)
    {
        using var c = _ds.OpenConnection();
        using var tx = c.BeginTransaction();
        int written = 0;
        foreach (var (id, e, w, h, failure) in results)
        {
            if (e != null && e.Length != Dimension)
                throw new ArgumentException($"embedding of image {id} has length {e.Length}, the collection holds {Dimension}-d vectors");
            using var cmd = new NpgsqlCommand("""
                UPDATE clipsharp_images SET state = $3, embedding = $4, reason = $5, width = $6, height = $7, claimed_by = NULL, lease_until = NULL
                WHERE id = $1 AND claimed_by = $2 AND state = 'pending'
                """, c, tx);
            cmd.Parameters.AddWithValue(id); cmd.Parameters.AddWithValue(worker);
            cmd.Parameters.AddWithValue(e != null ? "done" : "failed");
            cmd.Parameters.Add(new NpgsqlParameter { Value = e != null ? new Vector(e) : DBNull.Value });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)failure ?? DBNull.Value });
            cmd.Parameters.AddWithValue(w); cmd.Parameters.AddWithValue(h);
            written += cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return written;
    }

    /// <summary>The k nearest embeddings by cosine distance (<c>ORDER BY embedding &lt;=&gt; $1 LIMIT k</c>), best first.</summary>
    public List<PgHit> Search(float[] query, int k)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"query embedding has length {query.Length}, the collection holds {Dimension}-d embeddings of '{ModelId}'");
        using var c = _ds.OpenConnection();
        using var tx = c.BeginTransaction();
        // pgvector's HNSW scan keeps hnsw.ef_search candidates (default 40): it returns at most that many rows, and on
        // 10,000 Fashion-MNIST images (bench/pg/run.sh, default m 16 / ef_construction 64) a true top-10 image was
        // missed at 40, 100 and 200 and found at 400. Search that wide for this query only: 40k candidates, at
        // least 400, at most pgvector's limit of 1,000.
        Exec(c, tx, $"SET LOCAL hnsw.ef_search = {Math.Clamp(40L * k, 400, 1000)}");
        var hits = new List<PgHit>();
        using (var cmd = new NpgsqlCommand("""
            SELECT id, path, 1 - (embedding <=> $1) FROM clipsharp_images WHERE state = 'done'
            ORDER BY embedding <=> $1 LIMIT $2
            """, c, tx))
        {
            cmd.Parameters.AddWithValue(new Vector(query)); cmd.Parameters.AddWithValue(k);
            using var r = cmd.ExecuteReader();
            while (r.Read()) hits.Add(new PgHit(r.GetInt64(0), r.GetString(1), (float)r.GetDouble(2)));
        }
        tx.Commit();
        return hits;
    }

    /// <summary>Id of the embedded row at relative path <paramref name="path"/>, or null.</summary>
    public long? FindDone(string path)
    {
        using var c = _ds.OpenConnection();
        using var cmd = new NpgsqlCommand("SELECT id FROM clipsharp_images WHERE path = $1 AND state = 'done'", c);
        cmd.Parameters.AddWithValue(path);
        return cmd.ExecuteScalar() is long id ? id : null;
    }

    /// <summary>Embedded rows by id: the one with id <paramref name="id"/>, or all when null; embeddings read only when asked for.</summary>
    public IEnumerable<PgIndexedRow> Indexed(long? id, bool withEmbedding)
    {
        using var c = _ds.OpenConnection();
        using var cmd = new NpgsqlCommand(
            $"SELECT id, path, coalesce(width, 0), coalesce(height, 0){(withEmbedding ? ", embedding" : "")} FROM clipsharp_images " +
            $"WHERE state = 'done'{(id is null ? "" : " AND id = $1")} ORDER BY id", c);
        if (id is { } one) cmd.Parameters.AddWithValue(one);
        using var r = cmd.ExecuteReader();
        while (r.Read())
            yield return new PgIndexedRow(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3),
                withEmbedding ? r.GetFieldValue<Vector>(4).ToArray() : null);
    }

    /// <summary>
    /// Pending files and how long until the earliest lease on one of them runs out: null when some pending
    /// file is unclaimed or its lease already expired (claimable now), or when nothing is pending.
    /// </summary>
    public (long Pending, TimeSpan? NextExpiry) PendingLeases()
    {
        using var c = _ds.OpenConnection();
        using var cmd = new NpgsqlCommand("""
            SELECT count(*), bool_or(lease_until IS NULL OR lease_until < now()),
                   extract(epoch FROM min(lease_until) - now())::float8
            FROM clipsharp_images WHERE state = 'pending'
            """, c);
        using var r = cmd.ExecuteReader();
        r.Read();
        long pending = r.GetInt64(0);
        if (pending == 0 || (!r.IsDBNull(1) && r.GetBoolean(1)) || r.IsDBNull(2)) return (pending, null);
        return (pending, TimeSpan.FromSeconds(Math.Max(0, r.GetDouble(2))));
    }

    /// <summary>Counts of files by state: pending, done, failed.</summary>
    public (long Pending, long Done, long Failed) Counts()
    {
        using var c = _ds.OpenConnection();
        using var cmd = new NpgsqlCommand("SELECT count(*) FILTER (WHERE state='pending'), count(*) FILTER (WHERE state='done'), count(*) FILTER (WHERE state='failed') FROM clipsharp_images", c);
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    private static void Exec(NpgsqlConnection c, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx);
        cmd.ExecuteNonQuery();
    }

    public void Dispose() => _ds.Dispose();
}
