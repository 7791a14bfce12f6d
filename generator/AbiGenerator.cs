using System;
using System.Collections.Immutable;
using System.IO;
using System.Text;
using FdPasser.Generator.Emit;
using FdPasser.Generator.Model;
using FdPasser.Generator.Parsing;
using FdPasser.Generator.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace FdPasser.Generator;

/// <summary>
/// Reads <c>*.abi</c> AdditionalFiles and emits each target's interop. The pipeline carries only equatable
/// values (text, then <see cref="AbiParseResult"/>, then <see cref="GeneratedFile"/>), so an edit to a C# file
/// leaves every step cached.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class AbiGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incrementality tests.</summary>
    public static class Steps
    {
        public const string Read = "ReadAbi";
        public const string Parse = "ParseAbi";
        public const string Emit = "EmitAbi";
        public const string Table = "EmitTargetTable";
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        context.RegisterPostInitializationOutput(static c =>
            c.AddSource(ContractEmitter.FileName, SourceText.From(ContractEmitter.Emit(), Encoding.UTF8)));

        IncrementalValuesProvider<AbiFileText> texts = context.AdditionalTextsProvider
            .Where(static f => f.Path.EndsWith(".abi", StringComparison.OrdinalIgnoreCase))
            .Select(static (f, ct) => new AbiFileText(f.Path, f.GetText(ct)?.ToString()))
            .WithTrackingName(Steps.Read);

        IncrementalValuesProvider<AbiParseResult> parsed = texts
            .Select(static (f, _) => ParseSafely(f))
            .WithTrackingName(Steps.Parse);

        IncrementalValuesProvider<GeneratedFile> emitted = parsed
            .Select(static (r, _) => EmitSafely(r))
            .WithTrackingName(Steps.Emit);

        // The table reads only the targets that parsed cleanly: a broken file fails the build with its own diagnostics.
        IncrementalValueProvider<GeneratedFile> table = parsed
            .Select(static (r, _) => r.Target)
            .Collect()
            .Select(static (targets, _) => TableSafely(targets))
            .WithTrackingName(Steps.Table);

        context.RegisterSourceOutput(table, static (spc, file) => Report(spc, file));
        context.RegisterSourceOutput(emitted, static (spc, file) => Report(spc, file));
    }

    private static void Report(SourceProductionContext spc, GeneratedFile file)
    {
        foreach (AbiDiagnostic d in file.Diagnostics)
        {
            spc.ReportDiagnostic(ToDiagnostic(d));
        }
        if (file.Source is not null)
        {
            spc.AddSource(file.HintName, SourceText.From(file.Source, Encoding.UTF8));
        }
    }

    private static GeneratedFile TableSafely(ImmutableArray<AbiTarget?> targets)
    {
        var sound = new System.Collections.Generic.List<AbiTarget>();
        foreach (AbiTarget? t in targets)
        {
            if (t is not null)
            {
                sound.Add(t);
            }
        }
        try
        {
            return new GeneratedFile(TableEmitter.FileName, TableEmitter.Emit(sound), ImmutableArray<AbiDiagnostic>.Empty);
        }
        catch (Exception e)
        {
            return new GeneratedFile("", null, ImmutableArray.Create(new AbiDiagnostic(
                DiagnosticIds.InternalError, "the target table emitter failed: " + e.GetType().Name + ": " + e.Message, "", 0, 0, 0, 0)));
        }
    }

    private static AbiParseResult ParseSafely(AbiFileText file)
    {
        if (file.Text is null)
        {
            return Failure(file.Path, DiagnosticIds.Malformed, "the ABI file could not be read");
        }
        try
        {
            return AbiParser.Parse(file.Path, file.Text);
        }
        catch (Exception e)
        {
            return Failure(file.Path, DiagnosticIds.InternalError, "the ABI parser failed: " + e.GetType().Name + ": " + e.Message);
        }
    }

    private static GeneratedFile EmitSafely(AbiParseResult result)
    {
        if (result.Target is not { } target)
        {
            return new GeneratedFile("", null, result.Diagnostics);
        }
        try
        {
            string source = TargetEmitter.Emit(target) + BindingEmitter.Emit(target);
            return new GeneratedFile(HintName(target.Rid), source, result.Diagnostics);
        }
        catch (Exception e)
        {
            return new GeneratedFile("", null, ImmutableArray.Create(new AbiDiagnostic(
                DiagnosticIds.InternalError, "the ABI emitter failed: " + e.GetType().Name + ": " + e.Message, target.FilePath, 0, 0, 0, 0)));
        }
    }

    /// <summary>The hint name of a target's generated file.</summary>
    public static string HintName(string rid) => "FdPasser.Interop." + Naming.ClassNameForRid(rid) + ".g.cs";

    private static AbiParseResult Failure(string path, string id, string message) =>
        new(null, ImmutableArray.Create(new AbiDiagnostic(id, message, path, 0, 0, 0, 0)));

    private static Diagnostic ToDiagnostic(AbiDiagnostic d)
    {
        var span = new TextSpan(d.Start, d.Length);
        var lines = new LinePositionSpan(new LinePosition(d.Line, d.Column), new LinePosition(d.Line, d.Column + d.Length));
        Location location = Location.Create(d.FilePath, span, lines);
        return Diagnostic.Create(Descriptors.For(d.Id), location, Path.GetFileName(d.FilePath), d.Message);
    }
}

/// <summary>An ABI file's path and text: the first, cheap step of the pipeline.</summary>
internal sealed record AbiFileText(string Path, string? Text);

/// <summary>One generated file (or none) and the diagnostics of its ABI file.</summary>
internal sealed record GeneratedFile(string HintName, string? Source, EquatableArray<AbiDiagnostic> Diagnostics);
