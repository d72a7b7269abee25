namespace ClipSharp.Text.SentencePiece;

/// <summary>
/// Minimal protobuf wire-format reader (varint, 64-bit, length-delimited, 32-bit), enough for
/// sentencepiece's ModelProto. Errors name the file and the byte offset.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _source;
    private readonly int _base;
    private int _pos;

    public ProtoReader(ReadOnlySpan<byte> data, string source, int baseOffset = 0)
    {
        _data = data; _source = source; _base = baseOffset; _pos = 0;
    }

    public bool End => _pos >= _data.Length;
    public int Offset => _base + _pos;

    /// <summary>Reads the next tag; returns (field number, wire type).</summary>
    public (int Field, int Wire) ReadTag()
    {
        ulong tag = ReadVarint();
        int field = (int)(tag >> 3), wire = (int)(tag & 7);
        if (field == 0) throw Bad("field number 0");
        return (field, wire);
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_pos >= _data.Length) throw Bad("truncated varint");
            byte b = _data[_pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Bad("varint longer than 10 bytes");
    }

    public float ReadFloat()
    {
        if (_pos + 4 > _data.Length) throw Bad("truncated fixed32");
        float v = BitConverter.ToSingle(_data.Slice(_pos, 4));
        if (!BitConverter.IsLittleEndian) v = BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(v)));
        _pos += 4;
        return v;
    }

    /// <summary>A length-delimited field's bytes and the offset where they start.</summary>
    public ReadOnlySpan<byte> ReadBytes(out int start)
    {
        ulong len = ReadVarint();
        if (len > (ulong)(_data.Length - _pos)) throw Bad($"length {len} runs past the end");
        start = Offset;
        var s = _data.Slice(_pos, (int)len);
        _pos += (int)len;
        return s;
    }

    public void Skip(int wire)
    {
        switch (wire)
        {
            case 0: ReadVarint(); break;
            case 1: if (_pos + 8 > _data.Length) throw Bad("truncated fixed64"); _pos += 8; break;
            case 2: ReadBytes(out _); break;
            case 5: if (_pos + 4 > _data.Length) throw Bad("truncated fixed32"); _pos += 4; break;
            default: throw Bad($"unsupported wire type {wire}");
        }
    }

    public InvalidDataException Bad(string what) =>
        new($"{_source}: not a sentencepiece model (protobuf {what} at byte {Offset})");
}
