using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace ClipSharp.IO.Pickle;

/// <summary>
/// A restricted pickle reader (protocols 0-5, the opcodes torch.save and TorchScript emit). It
/// builds only inert values (PyTuple, PyDict, PyObject, TensorRef, ...): every global is checked against
/// <see cref="PickleGlobals"/> the moment it is named, REDUCE/NEWOBJ only apply allow-listed
/// rebuild functions, and nothing is imported or executed. Malformed input (truncation, stack
/// underflow, bad memo index) throws a <see cref="CheckpointException"/> naming the file, the entry
/// and the byte offset.
/// </summary>
internal sealed partial class Unpickler
{
    private readonly string _source;
    private readonly string _entry;
    private readonly byte[] _data;
    private readonly PickleMode _mode;
    private readonly Func<object?, object?> _persistentLoad;
    private readonly List<object?> _stack = new();
    private readonly List<int> _marks = new();
    // Keys hashed with a per-process seed: hand-picked memo keys cannot all land in one bucket.
    private readonly Dictionary<long, object?> _memo = new(SeededLongComparer.Instance);
    private int _pos;
    private int _opStart;

    /// <summary>Widest integer accepted (LONG1/LONG4 bytes): 64-bit covers every size, stride and offset.</summary>
    internal const int MaxIntegerBytes = 8;

    /// <summary>Most MARKs open at once (torch.save nests a few per tensor).</summary>
    internal const int MaxMarks = 10_000;

    /// <param name="source">File name for messages.</param>
    /// <param name="entry">Archive entry (e.g. "archive/data.pkl") for messages.</param>
    /// <param name="data">The pickle bytes.</param>
    /// <param name="mode">Which globals are allowed.</param>
    /// <param name="persistentLoad">Resolves a persistent id (a <see cref="PyTuple"/>) to a value.</param>
    public Unpickler(string source, string entry, byte[] data, PickleMode mode, Func<object?, object?> persistentLoad)
    {
        _source = source;
        _entry = entry;
        _data = data;
        _mode = mode;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Runs the pickle program up to STOP and returns the top of the stack.</summary>
    public object? Load()
    {
        while (true)
        {
            _opStart = _pos;
            byte op = ReadByte();
            if (op == '.')
            {
                if (_stack.Count == 0) throw Fail("STOP with an empty stack");
                return _stack[^1];
            }
            Execute(op);
        }
    }

    private void Execute(byte op)
    {
        switch (op)
        {
            case 0x80: // PROTO
                int proto = ReadByte();
                if (proto > 5) throw Fail($"pickle protocol {proto}; expected 0..5");
                break;
            case 0x95: Skip(8); break; // FRAME: a length hint only
            case (byte)'(': // MARK
                if (_marks.Count >= MaxMarks) throw Fail($"more than {MaxMarks} nested MARKs; a state dict needs a handful");
                _marks.Add(_stack.Count);
                break;
            case (byte)'0': Pop(); break; // POP
            case (byte)'1': PopMark(); break; // POP_MARK
            case (byte)'2': Push(Peek()); break; // DUP

            case (byte)'N': Push(null); break;
            case 0x88: Push(true); break;
            case 0x89: Push(false); break;
            case (byte)'I': Push(ParseIntLine(ReadLine())); break;
            case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
            case (byte)'K': Push((long)ReadByte()); break;
            case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
            case (byte)'L': Push(ParseLong(ReadLine().TrimEnd('L'))); break;
            case 0x8a: Push(ReadLong(ReadByte())); break; // LONG1
            case 0x8b: Push(ReadLong(ReadLength(4))); break; // LONG4
            case (byte)'F': Push(ParseFloat(ReadLine())); break;
            case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;

            case (byte)'S': Push(ParseQuoted(ReadLine())); break; // STRING (protocol 0)
            case (byte)'T': Push(Latin1(Take(ReadLength(4)))); break; // BINSTRING
            case (byte)'U': Push(Latin1(Take(ReadByte()))); break; // SHORT_BINSTRING
            case (byte)'V': Push(Unescape(ReadLine(), "UNICODE")); break; // UNICODE (raw-unicode-escape)
            case (byte)'X': Push(Utf8(Take(ReadLength(4)))); break; // BINUNICODE
            case 0x8c: Push(Utf8(Take(ReadByte()))); break; // SHORT_BINUNICODE
            case 0x8d: Push(Utf8(Take(ReadLength(8)))); break; // BINUNICODE8
            case (byte)'B': Push(Take(ReadLength(4)).ToArray()); break; // BINBYTES
            case (byte)'C': Push(Take(ReadByte()).ToArray()); break; // SHORT_BINBYTES
            case 0x8e: Push(Take(ReadLength(8)).ToArray()); break; // BINBYTES8
            case 0x96: Push(Take(ReadLength(8)).ToArray()); break; // BYTEARRAY8
            case 0x97: throw Fail("NEXT_BUFFER: out-of-band buffers are not supported");
            case 0x98: break; // READONLY_BUFFER: no-op on our values

            case (byte)')': Push(new PyTuple([])); break;
            case (byte)'t': Push(new PyTuple(PopMark().ToArray())); break;
            case 0x85: { var a = Pop(); Push(new PyTuple([a])); break; }
            case 0x86: { var b = Pop(); var a = Pop(); Push(new PyTuple([a, b])); break; }
            case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PyTuple([a, b, c])); break; }
            case (byte)']': Push(new List<object?>()); break;
            case (byte)'l': Push(PopMark()); break;
            case (byte)'a': { var v = Pop(); AsList(Peek(), "APPEND").Add(v); break; }
            case (byte)'e': { var items = PopMark(); AsList(Peek(), "APPENDS").AddRange(items); break; }
            case (byte)'}': Push(new PyDict()); break;
            case (byte)'d': { var items = PopMark(); var d = new PyDict(); FillDict(d, items); Push(d); break; }
            case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Peek(), "SETITEM").Set(k, v); break; }
            case (byte)'u': { var items = PopMark(); FillDict(AsDict(Peek(), "SETITEMS"), items); break; }
            case 0x8f: Push(new List<object?>()); break; // EMPTY_SET (kept as a list)
            case 0x90: { var items = PopMark(); AsList(Peek(), "ADDITEMS").AddRange(items); break; }
            case 0x91: Push(PopMark()); break; // FROZENSET

            case (byte)'p': _memo[ParseIntLine(ReadLine())] = Peek(); break; // PUT
            case (byte)'q': _memo[ReadByte()] = Peek(); break; // BINPUT
            case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break; // LONG_BINPUT
            case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
            case (byte)'g': Push(MemoGet(ParseIntLine(ReadLine()))); break; // GET
            case (byte)'h': Push(MemoGet(ReadByte())); break; // BINGET
            case (byte)'j': Push(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // LONG_BINGET

            case (byte)'c': // GLOBAL "module\nname\n"
            {
                string module = ReadLine(), name = ReadLine();
                Push(PickleGlobals.Resolve(_source, _entry, module, name, _mode, _opStart));
                break;
            }
            case 0x93: // STACK_GLOBAL
            {
                var name = Pop();
                var module = Pop();
                if (module is not string m || name is not string n)
                    throw Fail($"STACK_GLOBAL expects two strings, found {Describe(module)} and {Describe(name)}");
                Push(PickleGlobals.Resolve(_source, _entry, m, n, _mode, _opStart));
                break;
            }
            case (byte)'i': // INST "module\nname\n": class instantiation, never allowed
            {
                string module = ReadLine(), name = ReadLine();
                PickleGlobals.Resolve(_source, _entry, module, name, _mode, _opStart);
                throw Fail($"INST of '{module}.{name}' is not supported");
            }
            case (byte)'o': throw Fail("OBJ (protocol-1 object construction) is not supported");
            case 0x82 or 0x83 or 0x84: throw Fail("EXT opcodes (copyreg extension registry) are not supported");

            case (byte)'R': { var args = Pop(); var f = Pop(); Push(Reduce(f, args)); break; } // REDUCE
            case 0x81: { var args = Pop(); var cls = Pop(); Push(NewObject(cls, args)); break; } // NEWOBJ
            case 0x92: { Pop(); var args = Pop(); var cls = Pop(); Push(NewObject(cls, args)); break; } // NEWOBJ_EX
            case (byte)'b': { var state = Pop(); Build(Peek(), state); break; } // BUILD

            case (byte)'Q': Push(_persistentLoad(Pop())); break; // BINPERSID
            case (byte)'P': Push(_persistentLoad(ReadLine())); break; // PERSID

            default:
                throw Fail($"unknown pickle opcode 0x{op:X2}");
        }
    }

    // ---- stack and memo ----

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) throw Fail("stack underflow");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) throw Fail("stack underflow");
        return _stack[^1];
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw Fail("no MARK on the stack");
        int at = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(at, _stack.Count - at);
        _stack.RemoveRange(at, _stack.Count - at);
        return items;
    }

    private object? MemoGet(long key) =>
        _memo.TryGetValue(key, out var v) ? v : throw Fail($"memo key {key} was never stored");

    private List<object?> AsList(object? o, string op) =>
        o as List<object?> ?? throw Fail($"{op} expects a list, found {Describe(o)}");

    private PyDict AsDict(object? o, string op) =>
        o as PyDict ?? throw Fail($"{op} expects a dict, found {Describe(o)}");

    private void FillDict(PyDict d, List<object?> items)
    {
        if (items.Count % 2 != 0) throw Fail($"dict items: odd count {items.Count}");
        for (int i = 0; i < items.Count; i += 2) d.Set(items[i], items[i + 1]);
    }

    // ---- raw reads ----

    private byte ReadByte()
    {
        if (_pos >= _data.Length) throw Fail($"truncated: needed 1 byte at {_pos}, the pickle is {_data.Length} bytes");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> Take(long count)
    {
        if (count < 0 || count > _data.Length - _pos)
            throw Fail($"truncated: needed {count} bytes at {_pos}, only {_data.Length - _pos} remain");
        var span = _data.AsSpan(_pos, (int)count);
        _pos += (int)count;
        return span;
    }

    private void Skip(int count) => Take(count);

    private long ReadLength(int bytes) => bytes switch
    {
        4 => BinaryPrimitives.ReadUInt32LittleEndian(Take(4)),
        _ => CheckLength(BinaryPrimitives.ReadUInt64LittleEndian(Take(8))),
    };

    private long CheckLength(ulong n) => n > int.MaxValue ? throw Fail($"length {n} is too large") : (long)n;

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos, Math.Min(4096, _data.Length - _pos));
        if (end < 0) throw Fail($"truncated or over-long text argument at byte {_pos}");
        var s = Encoding.UTF8.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    /// <summary>
    /// LONG1/LONG4: a little-endian two's-complement integer of <paramref name="count"/> bytes. Nothing in a
    /// state dict (sizes, strides, offsets, numels, versions) needs more than 8 bytes, so wider ones are
    /// refused before their bytes are read (a 100 MB LONG4 costs nothing).
    /// </summary>
    private long ReadLong(long count)
    {
        if (count > MaxIntegerBytes)
            throw Fail($"integer of {count} bytes; a state dict needs at most {MaxIntegerBytes}-byte integers");
        var bytes = Take(count);
        if (bytes.Length == 0) return 0L;
        long v = (sbyte)bytes[^1] < 0 ? -1L : 0L; // sign extension
        for (int i = bytes.Length - 1; i >= 0; i--) v = (v << 8) | bytes[i];
        return v;
    }

    private static string Utf8(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

    private static string Latin1(ReadOnlySpan<byte> b) => Encoding.Latin1.GetString(b);
}
