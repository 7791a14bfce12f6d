using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using FdPasser.Generator.Model;

namespace FdPasser.Generator.Validation;

/// <summary>
/// Checks a parsed target against the format's rules and against what the runtime contract needs. It reads only
/// the parsed model, so it is a pipeline step of its own that an edit to a C# file never re-runs.
/// </summary>
internal static class AbiValidator
{
    /// <summary>The parse diagnostics followed by the validation diagnostics; the target only where there are none.</summary>
    public static ValidatedAbi Validate(AbiParseResult parsed)
    {
        var diagnostics = new List<AbiDiagnostic>(parsed.Diagnostics);
        if (parsed.Target is { } target)
        {
            void Report(string id, SourceLine line, string message) =>
                diagnostics.Add(AbiDiagnostics.At(id, target.FilePath, line, message));

            SourceLine at = parsed.TargetLine;
            ValidateHeaders(target, at, Report);
            foreach (StructDef s in target.Structs)
            {
                ValidateLayout(s, Report);
            }
            ValidateRequiredStructs(target, at, Report);
            ValidateConstants(target, at, Report);
            ValidateFunctions(target, at, Report);
            ValidatePaths(target, at, Report);
        }
        AbiTarget? sound = diagnostics.Count == 0 && parsed.Target is { } read ? Unlocated.Of(read) : null;
        return new ValidatedAbi(sound, diagnostics.ToImmutableArray());
    }

    private static void ValidateHeaders(AbiTarget t, SourceLine at, Action<string, SourceLine, string> report)
    {
        string expectedRid = Path.GetFileNameWithoutExtension(t.FilePath);
        if (t.Rid.Length == 0)
        {
            report(DiagnosticIds.BadHeader, at, $"missing 'target' line: expected 'target {expectedRid}'");
        }
        else if (t.Rid != expectedRid)
        {
            report(DiagnosticIds.BadHeader, at, $"target '{t.Rid}' does not match the file name: expected 'target {expectedRid}'");
        }
        if (t.PointerSize != 4 && t.PointerSize != 8)
        {
            report(DiagnosticIds.BadHeader, at, "missing or invalid 'pointer-size': expected 4 or 8");
        }
        if (t.CmsgAlign != 4 && t.CmsgAlign != 8 && t.CmsgAlign != 16)
        {
            report(DiagnosticIds.BadHeader, at, "missing or invalid 'cmsg-align': expected 4, 8 or 16");
        }
        if (t.MaxFds <= 0)
        {
            report(DiagnosticIds.BadHeader, at, "missing or invalid 'max-fds': expected a positive count of descriptors");
        }
        if (t.MaxFdsReceived != 0 && t.MaxFdsReceived < t.MaxFds)
        {
            report(DiagnosticIds.BadHeader, at, "invalid 'max-fds-received': a receiver must take at least the 'max-fds' a sender may send");
        }
        if (t.FindLibrary(LibraryDef.CLibrary) is null)
        {
            report(DiagnosticIds.BadHeader, at, "missing 'library libc SONAME': every target names its C library");
        }
    }

    private static void ValidateLayout(StructDef s, Action<string, SourceLine, string> report)
    {
        FieldDef? previous = null;
        foreach (FieldDef f in s.Fields.OrderBy(f => f.Offset).ThenBy(f => f.Source.Line))
        {
            if (f.Offset < 0 || f.Offset + f.Size > s.Size)
            {
                report(DiagnosticIds.Overrun, f.Source,
                    $"field {s.Name}.{f.Name} ({f.Type}, {f.Size} bytes at offset {f.Offset}) overruns the struct's declared size {s.Size}: expected offset + size <= {s.Size}");
            }
            if (previous is not null && f.Offset < previous.Offset + previous.Size)
            {
                report(DiagnosticIds.Overlap, f.Source,
                    $"field {s.Name}.{f.Name} at offset {f.Offset} overlaps {s.Name}.{previous.Name} (bytes {previous.Offset}..{previous.Offset + previous.Size - 1}): expected an offset >= {previous.Offset + previous.Size}");
            }
            if (previous is null || f.Offset + f.Size > previous.Offset + previous.Size)
            {
                previous = f;
            }
        }
    }

    private static void ValidateRequiredStructs(AbiTarget t, SourceLine at, Action<string, SourceLine, string> report)
    {
        var required = new List<RequiredStruct>(Requirements.Structs);
        if (Requirements.PeerCred[t.PeerCred].Struct is { } cred)
        {
            required.Add(cred);
        }
        if (t.Behaviour.Streams)
        {
            required.AddRange(Requirements.StreamsStructs);
        }
        if (HasOpenat2(t))
        {
            required.Add(Requirements.OpenHow);
        }
        if (t.FindFunction("getrlimit") is not null)
        {
            required.Add(Requirements.Rlimit);
        }
        if (t.FindFunction("sched_setscheduler") is not null || t.Constants.Any(c => c.Name == "SYS_sched_setscheduler" && c.Value is not null))
        {
            required.Add(Requirements.SchedParam);
        }
        foreach (RequiredStruct r in required)
        {
            StructDef? s = t.FindStruct(r.Name);
            if (s is null)
            {
                report(DiagnosticIds.MissingStruct, at, $"missing required struct '{r.Name}' (fields {string.Join(", ", r.Fields)})");
                continue;
            }
            foreach (string field in r.Fields)
            {
                if (!s.Fields.Any(f => f.Name == field))
                {
                    report(DiagnosticIds.MissingStruct, s.Source, $"struct {s.Name} lacks required field '{field}'");
                }
            }
        }
    }

    private static void ValidateConstants(AbiTarget t, SourceLine at, Action<string, SourceLine, string> report)
    {
        var names = new List<string>(Requirements.Constants);
        string[] cred = Requirements.PeerCred[t.PeerCred].Constants;
        names.AddRange(cred.Where(c => !names.Contains(c)));
        if (t.Behaviour.Streams)
        {
            names.AddRange(Requirements.StreamsConstants);
        }
        foreach (string name in names)
        {
            ConstDef? c = t.FindConst(name);
            bool needsValue = Requirements.ConstantsWithValue.Contains(name) ||
                cred.Contains(name) || Requirements.StreamsConstants.Contains(name);
            if (c is null)
            {
                report(DiagnosticIds.MissingConstant, at,
                    $"missing required constant '{name}': expected 'const {name} VALUE'" + (needsValue ? "" : " or 'const {name} none'"));
            }
            else if (c.Value is null && needsValue)
            {
                report(DiagnosticIds.MissingConstant, c.Source, $"constant '{name}' must have a value on every target of this kind, not 'none'");
            }
            else if (c.Value is long v && (v > uint.MaxValue || v < int.MinValue))
            {
                report(DiagnosticIds.BadNumber, c.Source, $"constant '{name}' = {v} does not fit in 32 bits");
            }
        }
        foreach (string name in Requirements.Errnos)
        {
            if (!t.Errnos.Any(e => e.Name == name))
            {
                report(DiagnosticIds.MissingConstant, at, $"missing required errno '{name}': expected 'errno {name} VALUE'");
            }
        }
    }

    private static readonly System.Text.RegularExpressions.Regex PathCharacters =
        new(@"^(/[A-Za-z0-9_.{}-]+)+$|^/$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>Every required path is declared; a value is absolute, of path characters only, with known placeholders.</summary>
    private static void ValidatePaths(AbiTarget t, SourceLine at, Action<string, SourceLine, string> report)
    {
        foreach (string name in Requirements.Paths)
        {
            if (t.FindPath(name) is null)
            {
                report(DiagnosticIds.MissingConstant, at, $"missing required path '{name}': expected 'path {name} /ABSOLUTE/PATH' or 'path {name} none'");
            }
        }
        foreach (PathDef p in t.Paths)
        {
            if (p.Value is not { } value)
            {
                continue;
            }
            if (!PathCharacters.IsMatch(value))
            {
                report(DiagnosticIds.BadPath, p.Source,
                    $"path {p.Name} '{value}' is not an absolute path of letters, digits, '_', '.', '-' and placeholders");
                continue;
            }
            string rest = value;
            foreach (string placeholder in Requirements.PathPlaceholders)
            {
                rest = rest.Replace(placeholder, "");
            }
            if (rest.IndexOf('{') >= 0 || rest.IndexOf('}') >= 0)
            {
                report(DiagnosticIds.BadPath, p.Source,
                    $"path {p.Name} '{value}' has an unknown placeholder: expected only {string.Join(" and ", Requirements.PathPlaceholders)}");
            }
        }
    }

    private static void ValidateFunctions(AbiTarget t, SourceLine at, Action<string, SourceLine, string> report)
    {
        var required = new List<string>(Requirements.Functions.Select(f => f.Name));
        required.AddRange(Requirements.PeerCred[t.PeerCred].Functions);
        if (t.Behaviour.Streams)
        {
            required.AddRange(Requirements.StreamsFunctions);
        }
        if (HasOpenat2(t))
        {
            required.Add("syscall");
        }
        foreach (string name in required)
        {
            if (t.FindFunction(name) is null)
            {
                report(DiagnosticIds.MissingFunction, at, $"missing required function '{name}'");
            }
        }
        foreach (FunctionDef f in t.Functions)
        {
            if (t.FindLibrary(f.Library) is null)
            {
                report(DiagnosticIds.MissingFunction, f.Source, $"function {f.Name} names library '{f.Library}', which no 'library' line declares");
            }
            CanonicalFunction? canonical = Requirements.Functions.Concat(Requirements.OptionalFunctions).FirstOrDefault(c => c.Name == f.Name);
            if (canonical is null)
            {
                continue;
            }
            if (canonical.ParameterTypes.Length != f.Parameters.Count)
            {
                report(DiagnosticIds.SignatureMismatch, f.Source,
                    $"function {f.Name} has {f.Parameters.Count} parameters: expected {canonical.ParameterTypes.Length} ({string.Join(", ", canonical.ParameterTypes)})");
            }
            else if (canonical.ReturnsVoid != f.ReturnType.IsVoid)
            {
                report(DiagnosticIds.SignatureMismatch, f.Source,
                    $"function {f.Name} returns {f.ReturnType}: expected {(canonical.ReturnsVoid ? "void" : "a value")}");
            }
            else
            {
                for (int i = 0; i < f.Parameters.Count; i++)
                {
                    bool canonicalPointer = canonical.IsPointerParameter(i);
                    TypeRef p = f.Parameters[i].Type;
                    bool pointer = p.IsAddress;
                    if (canonicalPointer != pointer)
                    {
                        report(DiagnosticIds.SignatureMismatch, f.Source,
                            $"parameter {f.Parameters[i].Name} of {f.Name} is {p}: expected {(canonicalPointer ? "a pointer" : "a number")} ({canonical.ParameterTypes[i]})");
                    }
                }
            }
        }
    }

    /// <summary>A file that gives SYS_openat2 a value promises openat2 through syscall(), so it needs both.</summary>
    private static bool HasOpenat2(AbiTarget t) => t.FindConst("SYS_openat2")?.Value is not null;
}
