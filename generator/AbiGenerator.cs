using System;
using System.Collections.Immutable;
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
/// values (text, then <see cref="AbiParseResult"/>, then <see cref="ValidatedAbi"/>, then <see cref="GeneratedFile"/>),
/// so an edit to a C# file leaves every step cached, and an edit to an ABI file that changes no fact (a comment)
/// re-runs reading and validation but no emitter.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class AbiGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incrementality tests.</summary>
    public static class Steps
    {
        public const string Read = "ReadAbi";
        public const string Parse = "ParseAbi";
        public const string Validate = "ValidateAbi";
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

        IncrementalValuesProvider<ValidatedAbi> validated = parsed
            .Select(static (r, _) => ValidateSafely(r))
            .WithTrackingName(Steps.Validate);

        IncrementalValuesProvider<GeneratedFile> emitted = validated
            .Select(static (v, _) => v.Target)
            .Where(static t => t is not null)
            .Select(static (t, _) => EmitSafely(t!))
            .WithTrackingName(Steps.Emit);

        // The table reads only the targets that are sound: a broken file fails the build with its own diagnostics.
        IncrementalValueProvider<GeneratedFile> table = validated
            .Select(static (v, _) => v.Target)
            .Collect()
            .Select(static (targets, _) => TableSafely(targets))
            .WithTrackingName(Steps.Table);

        context.RegisterSourceOutput(validated.Select(static (v, _) => v.Diagnostics), static (spc, diagnostics) => Report(spc, diagnostics));
        context.RegisterSourceOutput(table, static (spc, file) => Report(spc, file));
        context.RegisterSourceOutput(emitted, static (spc, file) => Report(spc, file));
    }

    private static void Report(SourceProductionContext spc, EquatableArray<AbiDiagnostic> diagnostics)
    {
        foreach (AbiDiagnostic d in diagnostics)
        {
            spc.ReportDiagnostic(AbiDiagnostics.ToDiagnostic(d));
        }
    }

    private static void Report(SourceProductionContext spc, GeneratedFile file)
    {
        Report(spc, file.Diagnostics);
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
            return GeneratedFile.None(AbiDiagnostics.Failure("", "the target table emitter", e));
        }
    }

    private static AbiParseResult ParseSafely(AbiFileText file)
    {
        if (file.Text is null)
        {
            return Unread(AbiDiagnostics.InFile(DiagnosticIds.Malformed, file.Path, "the ABI file could not be read"));
        }
        try
        {
            return AbiParser.Parse(file.Path, file.Text);
        }
        catch (Exception e)
        {
            return Unread(AbiDiagnostics.Failure(file.Path, "the ABI parser", e));
        }
    }

    private static ValidatedAbi ValidateSafely(AbiParseResult parsed)
    {
        try
        {
            return AbiValidator.Validate(parsed);
        }
        catch (Exception e)
        {
            string path = parsed.Target?.FilePath ?? "";
            return new ValidatedAbi(null, parsed.Diagnostics.AsImmutableArray().Add(AbiDiagnostics.Failure(path, "the ABI validator", e)));
        }
    }

    private static GeneratedFile EmitSafely(AbiTarget target)
    {
        try
        {
            string source = TargetEmitter.Emit(target) + BindingEmitter.Emit(target);
            return new GeneratedFile(HintName(target.Rid), source, ImmutableArray<AbiDiagnostic>.Empty);
        }
        catch (Exception e)
        {
            return GeneratedFile.None(AbiDiagnostics.Failure(target.FilePath, "the ABI emitter", e));
        }
    }

    /// <summary>The hint name of a target's generated file.</summary>
    public static string HintName(string rid) => "FdPasser.Interop." + Naming.ClassNameForRid(rid) + ".g.cs";

    private static AbiParseResult Unread(AbiDiagnostic problem) =>
        new(null, SourceLine.FileStart, ImmutableArray.Create(problem));
}

/// <summary>An ABI file's path and text: the first, cheap step of the pipeline.</summary>
internal sealed record AbiFileText(string Path, string? Text);

/// <summary>One generated file, or none and why.</summary>
internal sealed record GeneratedFile(string HintName, string? Source, EquatableArray<AbiDiagnostic> Diagnostics)
{
    public static GeneratedFile None(AbiDiagnostic problem) => new("", null, ImmutableArray.Create(problem));
}
