using System;
using System.Collections.Generic;
using System.Linq;
using FdPasser.Generator.Model;
using FdPasser.Generator.Validation;

namespace FdPasser.Generator.Parsing;

/// <summary>
/// Turns the header lines of one ABI file into typed values. A missing line is reported at the <c>target</c> line,
/// a word outside the vocabulary at its own line, so every header problem names the file and a line.
/// </summary>
internal sealed class HeaderLines
{
    public const string Target = "target";
    public const string Os = "os";
    public const string Arch = "arch";
    public const string Libc = "libc";
    public const string PointerSize = "pointer-size";
    public const string CmsgAlign = "cmsg-align";
    public const string MaxFds = "max-fds";
    public const string PeerCred = "peercred";
    public const string Variadic = "variadic";
    public const string MaxFdsReceived = "max-fds-received";
    public const string Transports = "transports";
    public const string AbstractNames = "abstract-names";
    public const string CmsgLenAfterCtrunc = "cmsg-len-after-ctrunc";

    /// <summary>Every header key; each may appear once (abi/README.md, "Header lines").</summary>
    public static readonly string[] Keys =
    {
        Target, Os, Arch, Libc, PointerSize, CmsgAlign, MaxFds, PeerCred, Variadic, MaxFdsReceived,
        Transports, AbstractNames, CmsgLenAfterCtrunc,
    };

    private readonly Dictionary<string, HeaderLine> _headers;
    private readonly SourceLine _targetLine;
    private readonly Action<string, SourceLine, string> _report;

    public HeaderLines(Dictionary<string, HeaderLine> headers, SourceLine targetLine, Action<string, SourceLine, string> report)
    {
        _headers = headers;
        _targetLine = targetLine;
        _report = report;
    }

    /// <summary>The value of a one-word header line; the first word's value (after a report) where it is missing or unknown.</summary>
    public T Choose<T>(string key, Word<T>[] words)
    {
        string expected = string.Join(", ", words.Select(w => w.Name));
        if (!_headers.TryGetValue(key, out HeaderLine? header))
        {
            _report(DiagnosticIds.BadHeader, _targetLine, $"missing '{key}' line: expected one of {expected}");
            return words[0].Value;
        }
        foreach (Word<T> w in words)
        {
            if (w.Name == header.Value)
            {
                return w.Value;
            }
        }
        _report(DiagnosticIds.BadHeader, header.Line, $"invalid {key} '{header.Value}': expected one of {expected}");
        return words[0].Value;
    }

    public TargetBehaviour Behaviour()
    {
        var transports = new HashSet<TargetTransport>(Listed(Transports, Vocabulary.Transports));
        return new TargetBehaviour(
            transports.Contains(TargetTransport.Socket),
            transports.Contains(TargetTransport.Streams),
            Choose(AbstractNames, Vocabulary.YesNo),
            Choose(CmsgLenAfterCtrunc, Vocabulary.TrustedUntrusted));
    }

    /// <summary>The words of a header line that lists one or more of <paramref name="words"/>, each at most once.</summary>
    private List<T> Listed<T>(string key, Word<T>[] words)
    {
        var values = new List<T>();
        string expected = string.Join(", ", words.Select(w => w.Name));
        if (!_headers.TryGetValue(key, out HeaderLine? header))
        {
            _report(DiagnosticIds.BadHeader, _targetLine, $"missing '{key}' line: expected one or more of {expected}");
            return values;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in header.Value.Split(' '))
        {
            Word<T>? word = words.FirstOrDefault(w => w.Name == name);
            if (word is null)
            {
                _report(DiagnosticIds.BadHeader, header.Line, $"invalid {key} '{name}': expected one or more of {expected}");
            }
            else if (!seen.Add(name))
            {
                _report(DiagnosticIds.BadHeader, header.Line, $"{key} lists '{name}' twice");
            }
            else
            {
                values.Add(word.Value);
            }
        }
        return values;
    }
}

/// <summary>A header line's value (the words after its key) and where it stands.</summary>
internal sealed record HeaderLine(string Value, SourceLine Line);
