using System;
using System.IO;
using FdPasser.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace FdPasser.Generator.Validation;

/// <summary>
/// The one place ABI problems are made and turned into located compiler diagnostics: steps of the pipeline record
/// them as plain values, and only the output stage builds a <see cref="Diagnostic"/>.
/// </summary>
internal static class AbiDiagnostics
{
    /// <summary>A problem at one line of an ABI file.</summary>
    public static AbiDiagnostic At(string id, string path, SourceLine line, string message) => new(id, message, path, line);

    /// <summary>A problem with a whole ABI file (unreadable, or a generator failure), reported at its start.</summary>
    public static AbiDiagnostic InFile(string id, string path, string message) => new(id, message, path, SourceLine.FileStart);

    /// <summary>A generator failure: reported as <see cref="DiagnosticIds.InternalError"/> naming what failed and why.</summary>
    public static AbiDiagnostic Failure(string path, string what, Exception e) =>
        InFile(DiagnosticIds.InternalError, path, what + " failed: " + e.GetType().Name + ": " + e.Message);

    public static Diagnostic ToDiagnostic(AbiDiagnostic d)
    {
        SourceLine at = d.Where;
        var span = new TextSpan(at.Start, at.Length);
        var lines = new LinePositionSpan(new LinePosition(at.Line, at.Column), new LinePosition(at.Line, at.Column + at.Length));
        Location location = Location.Create(d.FilePath, span, lines);
        return Diagnostic.Create(Descriptors.For(d.Id), location, Path.GetFileName(d.FilePath), d.Message);
    }
}
