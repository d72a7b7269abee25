using ClipSharp.Search.Vectors;
using Microsoft.Data.Sqlite;

namespace ClipSharp.Search.Store;

/// <summary>
/// One transaction of index changes. Either all of it becomes durable at <see cref="Commit"/> or, when
/// disposed uncommitted (an exception mid-batch, a crash), none of it does.
/// </summary>
public sealed class StoreBatch : IDisposable
{
    private readonly EmbeddingStore _store;
    private readonly SqliteTransaction _tx;
    private readonly SqliteCommand _insertImage, _insertEmbedding, _copyEmbedding, _updateFile, _deleteImage, _upsertFailure, _deleteFailure;
    private bool _done;

    internal StoreBatch(EmbeddingStore store, SqliteConnection db, SqliteTransaction tx)
    {
        _store = store;
        _tx = tx;
        _insertImage = Prepare(db, """
            INSERT INTO images(path, size, mtime_ticks, sha256, width, height, added_utc_ticks)
            VALUES($path, $size, $mtime, $sha, $w, $h, $added) RETURNING id
            """, "$path", "$size", "$mtime", "$sha", "$w", "$h", "$added");
        _insertEmbedding = Prepare(db, """
            INSERT INTO embeddings(image_id, model_id, dim, dtype, vector) VALUES($id, $model, $dim, $dtype, $vec)
            ON CONFLICT(image_id, model_id) DO UPDATE SET dim = excluded.dim, dtype = excluded.dtype, vector = excluded.vector
            """, "$id", "$model", "$dim", "$dtype", "$vec");
        _copyEmbedding = Prepare(db, """
            INSERT INTO embeddings(image_id, model_id, dim, dtype, vector)
            SELECT $id, model_id, dim, dtype, vector FROM embeddings WHERE image_id = $from
            """, "$id", "$from");
        _updateFile = Prepare(db, "UPDATE images SET path = $path, size = $size, mtime_ticks = $mtime WHERE id = $id",
            "$path", "$size", "$mtime", "$id");
        _deleteImage = Prepare(db, "DELETE FROM images WHERE id = $id", "$id");
        _upsertFailure = Prepare(db, """
            INSERT INTO failures(path, size, mtime_ticks, reason) VALUES($path, $size, $mtime, $reason)
            ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ticks = excluded.mtime_ticks, reason = excluded.reason
            """, "$path", "$size", "$mtime", "$reason");
        _deleteFailure = Prepare(db, "DELETE FROM failures WHERE path = $path", "$path");
    }

    private SqliteCommand Prepare(SqliteConnection db, string sql, params string[] names)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = _tx;
        foreach (var n in names) cmd.Parameters.Add(new SqliteParameter { ParameterName = n });
        return cmd;
    }

    private static object Run(SqliteCommand cmd, bool scalar, params object[] values)
    {
        for (int i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i];
        return scalar ? cmd.ExecuteScalar()! : cmd.ExecuteNonQuery();
    }

    /// <summary>Adds an image row and its embedding (encoded in <paramref name="precision"/>); returns the new id.</summary>
    public long InsertImage(string path, long size, long mtimeTicks, byte[] sha256, int width, int height,
        string modelId, ReadOnlySpan<float> embedding, VectorPrecision precision)
    {
        long id = InsertImageRow(path, size, mtimeTicks, sha256, width, height);
        Run(_insertEmbedding, false, id, modelId, embedding.Length, (int)precision, VectorBlob.Encode(embedding, precision));
        return id;
    }

    /// <summary>Adds an image row whose embeddings are copied from image <paramref name="sourceId"/> (identical content); returns the new id.</summary>
    public long InsertImageCopyingEmbeddings(string path, long size, long mtimeTicks, byte[] sha256, int width, int height, long sourceId)
    {
        long id = InsertImageRow(path, size, mtimeTicks, sha256, width, height);
        if ((int)Run(_copyEmbedding, false, id, sourceId) == 0)
            throw new InvalidOperationException($"{_store.DatabasePath}: image {sourceId} has no embedding to copy");
        return id;
    }

    private long InsertImageRow(string path, long size, long mtimeTicks, byte[] sha256, int width, int height)
    {
        if (sha256.Length != 32) throw new ArgumentException($"SHA-256 must be 32 bytes, got {sha256.Length}");
        return (long)Run(_insertImage, true, path, size, mtimeTicks, sha256, width, height, DateTime.UtcNow.Ticks);
    }

    /// <summary>Records a new path / size / mtime for an image whose content is unchanged (move or touch).</summary>
    public void UpdateFile(long id, string path, long size, long mtimeTicks)
    {
        if ((int)Run(_updateFile, false, path, size, mtimeTicks, id) != 1)
            throw new InvalidOperationException($"{_store.DatabasePath}: no image with id {id} to update");
    }

    /// <summary>Deletes an image and (by cascade) its embeddings.</summary>
    public void DeleteImage(long id) => Run(_deleteImage, false, id);

    public void RecordFailure(string path, long size, long mtimeTicks, string reason) =>
        Run(_upsertFailure, false, path, size, mtimeTicks, reason);

    public void ClearFailure(string path) => Run(_deleteFailure, false, path);

    public void Commit()
    {
        if (_done) throw new InvalidOperationException("batch already finished");
        _tx.Commit();
        _done = true;
    }

    public void Dispose()
    {
        if (!_done)
        {
            try { _tx.Rollback(); } catch (SqliteException) { /* connection already broken: nothing was committed */ }
            _done = true;
        }
        _tx.Dispose();
        foreach (var c in new[] { _insertImage, _insertEmbedding, _copyEmbedding, _updateFile, _deleteImage, _upsertFailure, _deleteFailure })
            c.Dispose();
    }
}
