using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using FdPasser.Generator.Model;
using FdPasser.Generator.Validation;

namespace FdPasser.Generator.Parsing;

/// <summary>
/// Reads the line-oriented ABI format (abi/README.md) into an <see cref="AbiTarget"/>. Never throws: every
/// problem becomes an <see cref="AbiDiagnostic"/> with the file and line, and parsing goes on so one build
/// reports every mistake in a file at once. Whether the target has what the runtime needs is
/// <see cref="AbiValidator"/>'s question, asked in a step of its own.
/// </summary>
internal sealed class AbiParser
{
    private static readonly Regex FunctionLine = new(
        @"^fn\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?<params>[^)]*)\)\s*->\s*(?<ret>\S+)(?<rest>.*)$",
        RegexOptions.CultureInvariant);

    private static readonly Regex Identifier = new(@"^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);

    private readonly string _path;
    private readonly string _text;
    private readonly List<AbiDiagnostic> _diagnostics = new();
    private readonly Dictionary<string, HeaderLine> _headers = new();
    private readonly List<LibraryDef> _libraries = new();
    private readonly List<RawStruct> _rawStructs = new();
    private readonly List<ConstDef> _constants = new();
    private readonly List<ErrnoDef> _errnos = new();
    private readonly List<PathDef> _paths = new();
    private readonly List<RawLine> _rawFunctions = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private AbiParser(string path, string text)
    {
        _path = path;
        _text = text;
    }

    public static AbiParseResult Parse(string path, string text) => new AbiParser(path, text).Run();

    private AbiParseResult Run()
    {
        ReadLines();
        AbiTarget target = Build();
        return new AbiParseResult(target, TargetLine(), _diagnostics.ToImmutableArray());
    }

    private SourceLine TargetLine() =>
        _headers.TryGetValue(HeaderLines.Target, out HeaderLine? t) ? t.Line : SourceLine.FileStart;

    private void ReadLines()
    {
        int offset = 0;
        int lineNumber = 0;
        RawStruct? open = null;
        while (offset <= _text.Length)
        {
            int end = _text.IndexOf('\n', offset);
            if (end < 0)
            {
                end = _text.Length;
            }
            string raw = _text.Substring(offset, end - offset).TrimEnd('\r');
            int hash = raw.IndexOf('#');
            string content = (hash >= 0 ? raw.Substring(0, hash) : raw).TrimEnd();
            int indent = content.Length - content.TrimStart().Length;
            content = content.Trim();
            var line = new SourceLine(lineNumber, indent, offset + indent, content.Length);
            if (content.Length > 0)
            {
                string[] tokens = content.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                if (open is not null && IsTopLevelKeyword(tokens[0]))
                {
                    // A struct without 'end' would otherwise swallow the next lines as fields.
                    Report(DiagnosticIds.Unterminated, open.Line,
                        $"struct {open.Name} has no 'end' line before line {lineNumber + 1} ('{tokens[0]} ...')");
                    _rawStructs.Add(open);
                    open = null;
                }
                if (open is not null)
                {
                    if (tokens[0] == "end" && tokens.Length == 1)
                    {
                        _rawStructs.Add(open);
                        open = null;
                    }
                    else if (tokens.Length == 3)
                    {
                        open.Fields.Add(new RawField(tokens[0], tokens[1], tokens[2], line));
                    }
                    else
                    {
                        Report(DiagnosticIds.Malformed, line,
                            $"malformed field '{content}' in struct {open.Name}: expected 'NAME OFFSET TYPE' or 'end'");
                    }
                }
                else
                {
                    open = ReadTopLevel(content, tokens, line);
                }
            }
            offset = end + 1;
            lineNumber++;
        }
        if (open is not null)
        {
            Report(DiagnosticIds.Unterminated, open.Line,
                $"struct {open.Name} has no 'end' line before the end of the file");
        }
    }

    /// <summary>Reads one line outside a struct; returns the struct its line opens, if it opens one.</summary>
    private RawStruct? ReadTopLevel(string content, string[] tokens, SourceLine line)
    {
        switch (tokens[0])
        {
            case "struct":
                if (tokens.Length != 3 || !IsIdentifier(tokens[1]))
                {
                    Report(DiagnosticIds.Malformed, line, $"malformed struct header '{content}': expected 'struct NAME SIZE'");
                    return null;
                }
                // A bad size is reported, and the struct is still read (as 1 byte) so its fields get checked too.
                int structSize = 1;
                if (TryNumber(tokens[2], line, out long size))
                {
                    if (size > 0 && size <= 65536)
                    {
                        structSize = (int)size;
                    }
                    else
                    {
                        Report(DiagnosticIds.BadNumber, line, $"struct {tokens[1]} size {size} is out of range: expected 1 to 65536 bytes");
                    }
                }
                return new RawStruct(tokens[1], structSize, line);
            case "const":
                ReadConst(content, tokens, line);
                return null;
            case "errno":
                ReadErrno(content, tokens, line);
                return null;
            case "path":
                ReadPath(content, tokens, line);
                return null;
            case "fn":
                _rawFunctions.Add(new RawLine(content, line));
                return null;
            case "library":
                if (tokens.Length != 3 || !IsIdentifier(tokens[1]))
                {
                    Report(DiagnosticIds.Malformed, line, $"malformed library line '{content}': expected 'library ALIAS SONAME'");
                }
                else if (ClaimName("library " + tokens[1], line))
                {
                    _libraries.Add(new LibraryDef(tokens[1], tokens[2], line));
                }
                return null;
            case "end":
                Report(DiagnosticIds.Malformed, line, "'end' without an open struct");
                return null;
            default:
                if (Array.IndexOf(HeaderLines.Keys, tokens[0]) >= 0)
                {
                    bool list = tokens[0] == HeaderLines.Transports;
                    if (tokens.Length < 2 || (tokens.Length > 2 && !list))
                    {
                        Report(DiagnosticIds.Malformed, line,
                            $"malformed header line '{content}': expected '{tokens[0]} VALUE{(list ? " ..." : "")}'");
                    }
                    else if (ClaimName("header " + tokens[0], line))
                    {
                        _headers[tokens[0]] = new HeaderLine(string.Join(" ", tokens, 1, tokens.Length - 1), line);
                    }
                    return null;
                }
                Report(DiagnosticIds.Malformed, line,
                    $"unknown line '{content}': expected a header ({string.Join(", ", HeaderLines.Keys)}, library), 'struct', 'const', 'errno', 'path' or 'fn'");
                return null;
        }
    }

    private void ReadConst(string content, string[] tokens, SourceLine line)
    {
        if (tokens.Length != 3 || !IsIdentifier(tokens[1]))
        {
            Report(DiagnosticIds.Malformed, line, $"malformed constant '{content}': expected 'const NAME VALUE' or 'const NAME none'");
            return;
        }
        if (!ClaimName(tokens[1], line))
        {
            return;
        }
        if (tokens[2] == "none")
        {
            _constants.Add(new ConstDef(tokens[1], null, line));
        }
        else if (TryNumber(tokens[2], line, out long value))
        {
            _constants.Add(new ConstDef(tokens[1], value, line));
        }
    }

    private void ReadPath(string content, string[] tokens, SourceLine line)
    {
        if (tokens.Length != 3 || !IsIdentifier(tokens[1]))
        {
            Report(DiagnosticIds.Malformed, line, $"malformed path '{content}': expected 'path NAME /ABSOLUTE/PATH' or 'path NAME none'");
            return;
        }
        if (ClaimName(tokens[1], line))
        {
            _paths.Add(new PathDef(tokens[1], tokens[2] == "none" ? null : tokens[2], line));
        }
    }

    private void ReadErrno(string content, string[] tokens, SourceLine line)
    {
        if (tokens.Length != 3 || !IsIdentifier(tokens[1]))
        {
            Report(DiagnosticIds.Malformed, line, $"malformed errno '{content}': expected 'errno NAME VALUE'");
            return;
        }
        if (ClaimName(tokens[1], line) && TryNumber(tokens[2], line, out long value))
        {
            if (value <= 0 || value > 4095)
            {
                Report(DiagnosticIds.BadNumber, line, $"errno {tokens[1]} = {value} is out of range: expected 1 to 4095");
                return;
            }
            _errnos.Add(new ErrnoDef(tokens[1], (int)value, line));
        }
    }

    private AbiTarget Build()
    {
        var structs = new List<StructDef>();
        int pointerSize = HeaderNumber(HeaderLines.PointerSize);
        foreach (RawStruct raw in _rawStructs)
        {
            if (!ClaimName("struct " + raw.Name, raw.Line))
            {
                continue;
            }
            var fields = new List<FieldDef>();
            var fieldNames = new HashSet<string>(StringComparer.Ordinal);
            foreach ((string name, string offsetText, string typeText, SourceLine line) in raw.Fields)
            {
                if (!IsIdentifier(name))
                {
                    Report(DiagnosticIds.Malformed, line, $"field name '{name}' in struct {raw.Name} is not an identifier");
                    continue;
                }
                if (!fieldNames.Add(name))
                {
                    Report(DiagnosticIds.Duplicate, line, $"duplicate field '{name}' in struct {raw.Name}");
                    continue;
                }
                if (!TryNumber(offsetText, line, out long offset))
                {
                    continue;
                }
                TypeRef? type = ParseType(typeText, line, allowPointer: false, structNames: null);
                if (type is null)
                {
                    continue;
                }
                int elementSize = Vocabulary.PrimitiveNamed(type.Name)!.SizeOn(pointerSize > 0 ? pointerSize : 8);
                fields.Add(new FieldDef(name, (int)offset, type, elementSize * Math.Max(1, type.ArrayLength), line));
            }
            structs.Add(new StructDef(raw.Name, raw.Size, fields.ToImmutableArray(), raw.Line));
        }

        var structNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (StructDef s in structs)
        {
            structNames.Add(s.Name);
        }
        var functions = new List<FunctionDef>();
        foreach (RawLine raw in _rawFunctions)
        {
            FunctionDef? f = ParseFunction(raw.Text, raw.Line, structNames);
            if (f is not null && ClaimName("fn " + f.Name, raw.Line))
            {
                functions.Add(f);
            }
        }

        var headers = new HeaderLines(_headers, TargetLine(), Report);
        return new AbiTarget(
            _path,
            _headers.TryGetValue(HeaderLines.Target, out HeaderLine? rid) ? rid.Value : "",
            headers.Choose(HeaderLines.Os, Vocabulary.Oses.Select(o => new Word<TargetOs>(o.Name, o.Value)).ToArray()),
            headers.Choose(HeaderLines.Arch, Vocabulary.Arches),
            headers.Choose(HeaderLines.Libc, Vocabulary.Libcs),
            pointerSize,
            HeaderNumber(HeaderLines.CmsgAlign),
            HeaderNumber(HeaderLines.MaxFds),
            HeaderNumber(HeaderLines.MaxFdsReceived),
            headers.Choose(HeaderLines.PeerCred, Vocabulary.PeerCredMethods),
            headers.Choose(HeaderLines.Variadic, Vocabulary.VariadicPlaces),
            headers.Behaviour(),
            _libraries.ToImmutableArray(),
            structs.ToImmutableArray(),
            _constants.ToImmutableArray(),
            _errnos.ToImmutableArray(),
            functions.ToImmutableArray(),
            _paths.ToImmutableArray());
    }

    private int HeaderNumber(string key)
    {
        if (!_headers.TryGetValue(key, out HeaderLine? h))
        {
            return 0;
        }
        return TryNumber(h.Value, h.Line, out long v) && v > 0 && v <= int.MaxValue ? (int)v : 0;
    }

    private FunctionDef? ParseFunction(string text, SourceLine line, HashSet<string> structNames)
    {
        Match m = FunctionLine.Match(text);
        if (!m.Success)
        {
            Report(DiagnosticIds.Malformed, line,
                $"malformed function '{text}': expected 'fn NAME(TYPE name, ...) -> TYPE [lib=ALIAS] [entry=SYMBOL]'");
            return null;
        }
        string name = m.Groups["name"].Value;
        var parameters = new List<ParamDef>();
        bool variadic = false;
        bool ok = true;
        string paramText = m.Groups["params"].Value.Trim();
        if (paramText.Length > 0)
        {
            foreach (string part in paramText.Split(','))
            {
                string p = part.Trim();
                if (p.StartsWith("...", StringComparison.Ordinal))
                {
                    variadic = true;
                    p = p.Substring(3).Trim();
                }
                string[] bits = p.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                if (bits.Length != 2 || !IsIdentifier(bits[1]))
                {
                    Report(DiagnosticIds.Malformed, line, $"malformed parameter '{part.Trim()}' of {name}: expected 'TYPE name'");
                    ok = false;
                    continue;
                }
                TypeRef? t = ParseType(bits[0], line, allowPointer: true, structNames);
                if (t is null)
                {
                    ok = false;
                    continue;
                }
                parameters.Add(new ParamDef(bits[1], t, variadic));
            }
        }
        TypeRef? ret = m.Groups["ret"].Value == TypeRef.Void.Name
            ? TypeRef.Void
            : ParseType(m.Groups["ret"].Value, line, allowPointer: true, structNames);
        string library = LibraryDef.CLibrary;
        string entry = name;
        foreach (string option in m.Groups["rest"].Value.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
        {
            if (option.StartsWith("lib=", StringComparison.Ordinal))
            {
                library = option.Substring(4);
            }
            else if (option.StartsWith("entry=", StringComparison.Ordinal) && option.Length > 6)
            {
                entry = option.Substring(6);
            }
            else
            {
                Report(DiagnosticIds.Malformed, line, $"unknown option '{option}' on function {name}: expected lib=ALIAS or entry=SYMBOL");
                ok = false;
            }
        }
        if (!ok || ret is null)
        {
            return null;
        }
        return new FunctionDef(name, parameters.ToImmutableArray(), ret, library, entry, line);
    }

    private TypeRef? ParseType(string text, SourceLine line, bool allowPointer, HashSet<string>? structNames)
    {
        string name = text;
        int arrayLength = 0;
        bool pointer = false;
        int bracket = name.IndexOf('[');
        if (bracket >= 0)
        {
            if (!name.EndsWith("]", StringComparison.Ordinal) ||
                !int.TryParse(name.Substring(bracket + 1, name.Length - bracket - 2), NumberStyles.None, CultureInfo.InvariantCulture, out arrayLength) ||
                arrayLength <= 0)
            {
                Report(DiagnosticIds.UnknownType, line, $"malformed array type '{text}': expected TYPE[N] with N > 0");
                return null;
            }
            name = name.Substring(0, bracket);
        }
        if (name.EndsWith("*", StringComparison.Ordinal))
        {
            if (!allowPointer || arrayLength > 0)
            {
                Report(DiagnosticIds.UnknownType, line, $"type '{text}' is not allowed here: struct fields use 'ptr' for pointers");
                return null;
            }
            pointer = true;
            name = name.Substring(0, name.Length - 1);
        }
        bool known = Vocabulary.PrimitiveNamed(name) is not null || (pointer && structNames is not null && structNames.Contains(name));
        if (!known)
        {
            Report(DiagnosticIds.UnknownType, line,
                $"unknown type '{text}': expected i8, u8, i16, u16, i32, u32, i64, u64, isize, usize, ptr, TYPE[N]" +
                (allowPointer ? ", or a pointer to one of them or to a declared struct" : ""));
            return null;
        }
        return new TypeRef(name, arrayLength, pointer);
    }

    private bool TryNumber(string text, SourceLine line, out long value)
    {
        bool negative = text.StartsWith("-", StringComparison.Ordinal);
        string digits = negative ? text.Substring(1) : text;
        bool ok;
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            ok = long.TryParse(digits.Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        else if (digits.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
        {
            value = 0;
            ok = digits.Length > 2;
            foreach (char c in digits.Substring(2))
            {
                if (c < '0' || c > '7' || value > (long.MaxValue >> 3))
                {
                    ok = false;
                    break;
                }
                value = (value << 3) + (c - '0');
            }
        }
        else
        {
            ok = long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }
        if (!ok)
        {
            Report(DiagnosticIds.BadNumber, line, $"'{text}' is not a number: expected decimal, 0x hex or 0o octal");
            value = 0;
            return false;
        }
        if (negative)
        {
            value = -value;
        }
        return true;
    }

    private bool ClaimName(string name, SourceLine line)
    {
        if (_names.Add(name))
        {
            return true;
        }
        Report(DiagnosticIds.Duplicate, line, $"duplicate declaration of {name}");
        return false;
    }

    private static bool IsIdentifier(string s) => Identifier.IsMatch(s);

    private static bool IsTopLevelKeyword(string token) =>
        token is "struct" or "const" or "errno" or "path" or "fn" or "library" || Array.IndexOf(HeaderLines.Keys, token) >= 0;

    private void Report(string id, SourceLine line, string message) =>
        _diagnostics.Add(AbiDiagnostics.At(id, _path, line, message));

    /// <summary>A struct as read so far: its fields are checked once every line is read.</summary>
    private sealed record RawStruct(string Name, int Size, SourceLine Line)
    {
        public List<RawField> Fields { get; } = new();
    }

    private sealed record RawField(string Name, string Offset, string Type, SourceLine Line);

    /// <summary>A line kept whole to be read once every struct name is known (a function may point to any struct).</summary>
    private sealed record RawLine(string Text, SourceLine Line);
}
