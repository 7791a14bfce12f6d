using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace FdPasser.Generator.Validation;

internal static class Descriptors
{
    private const string Category = "FdPasser.Abi";

    private static readonly Dictionary<string, DiagnosticDescriptor> All = new()
    {
        [DiagnosticIds.Malformed] = Make(DiagnosticIds.Malformed, "Malformed ABI line"),
        [DiagnosticIds.BadNumber] = Make(DiagnosticIds.BadNumber, "Invalid number in ABI file"),
        [DiagnosticIds.UnknownType] = Make(DiagnosticIds.UnknownType, "Unknown type in ABI file"),
        [DiagnosticIds.Overlap] = Make(DiagnosticIds.Overlap, "Overlapping struct fields"),
        [DiagnosticIds.Overrun] = Make(DiagnosticIds.Overrun, "Field overruns the struct's size"),
        [DiagnosticIds.Duplicate] = Make(DiagnosticIds.Duplicate, "Duplicate name in ABI file"),
        [DiagnosticIds.MissingStruct] = Make(DiagnosticIds.MissingStruct, "Missing required struct or field"),
        [DiagnosticIds.MissingConstant] = Make(DiagnosticIds.MissingConstant, "Missing required constant or errno"),
        [DiagnosticIds.MissingFunction] = Make(DiagnosticIds.MissingFunction, "Missing required function or library"),
        [DiagnosticIds.BadHeader] = Make(DiagnosticIds.BadHeader, "Missing or invalid ABI header"),
        [DiagnosticIds.Unterminated] = Make(DiagnosticIds.Unterminated, "Unterminated struct"),
        [DiagnosticIds.SignatureMismatch] = Make(DiagnosticIds.SignatureMismatch, "Function signature does not match the runtime contract"),
        [DiagnosticIds.BadPath] = Make(DiagnosticIds.BadPath, "Invalid path in ABI file"),
        [DiagnosticIds.InternalError] = Make(DiagnosticIds.InternalError, "ABI generator failure"),
    };

    public static DiagnosticDescriptor For(string id) => All[id];

    private static DiagnosticDescriptor Make(string id, string title) =>
        new(id, title, "{0}: {1}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
