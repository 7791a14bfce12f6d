using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace FdPasser.Generator.Tests;

/// <summary>Runs the ABI generator over in-memory ABI text, the way a build would.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string AbiDirectory => Path.Combine(RepoRoot, "abi");

    public static IEnumerable<string> AbiFiles() =>
        Directory.GetFiles(AbiDirectory, "*.abi").OrderBy(p => p, StringComparer.Ordinal);

    public static IEnumerable<object[]> AbiRids() => AbiFiles().Select(p => new object[] { Path.GetFileNameWithoutExtension(p) });

    public static string AbiPath(string rid) => Path.Combine(AbiDirectory, rid + ".abi");

    public static ImmutableArray<MetadataReference> References { get; } =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();

    public static CSharpCompilation NewCompilation(params SyntaxTree[] trees) =>
        CSharpCompilation.Create(
            "GeneratedInteropProbe",
            trees,
            References,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                allowUnsafe: true,
                nullableContextOptions: NullableContextOptions.Enable,
                warningLevel: 9999,
                generalDiagnosticOption: ReportDiagnostic.Error));

    public static GeneratorDriver NewDriver(params AdditionalText[] files) =>
        CSharpGeneratorDriver.Create(
            new[] { new AbiGenerator().AsSourceGenerator() },
            files,
            ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static (GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(
        string path, string text, params SyntaxTree[] trees)
    {
        GeneratorDriver driver = NewDriver(new InMemoryText(path, text));
        driver = driver.RunGeneratorsAndUpdateCompilation(NewCompilation(trees), out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return (driver.GetRunResult(), output, diagnostics);
    }

    public static (GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) RunFile(string rid) =>
        Run(AbiPath(rid), File.ReadAllText(AbiPath(rid)));

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "FdPasser.sln")))
            {
                return dir;
            }
        }
        throw new InvalidOperationException("FdPasser.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>An AdditionalFile held in memory.</summary>
internal sealed class InMemoryText : AdditionalText
{
    private readonly SourceText _text;

    public InMemoryText(string path, string text)
    {
        Path = path;
        _text = SourceText.From(text);
    }

    public override string Path { get; }

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}
