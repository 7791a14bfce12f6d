using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using FdPasser.Generator.Emit;
using FdPasser.Generator.Model;
using FdPasser.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FdPasser.Generator.Tests;

/// <summary>
/// Our stubs are what the SDK's LibraryImport generator would emit for the same blittable declaration with
/// <c>SetLastError = true</c>. The test runs that generator (from the targeting pack) on the equivalent
/// declarations and compares the two method bodies and their local P/Invokes, modulo names and formatting.
/// </summary>
public class LibraryImportParityTests
{
    private static readonly Lazy<ISourceGenerator> LibraryImport = new(LoadLibraryImportGenerator);

    private static ISourceGenerator LoadLibraryImportGenerator()
    {
        string runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!; // .../shared/Microsoft.NETCore.App/<v>
        string dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        string version = Path.GetFileName(runtimeDir);
        string packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        string dir = Path.Combine(packs, version, "analyzers", "dotnet", "cs");
        if (!Directory.Exists(dir))
        {
            // The runtime may be a patch ahead of the targeting pack: take the newest pack.
            dir = Directory.GetDirectories(packs).OrderBy(d => Version.Parse(Path.GetFileName(d))).Last();
            dir = Path.Combine(dir, "analyzers", "dotnet", "cs");
        }
        Assembly assembly = Assembly.LoadFrom(Path.Combine(dir, "Microsoft.Interop.LibraryImportGenerator.dll"));
        Type type = assembly.GetType("Microsoft.Interop.LibraryImportGenerator", throwOnError: true)!;
        return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
    }

    public static TheoryData<string> Rids() => SnapshotTests.Rids();

    [Theory]
    [MemberData(nameof(Rids))]
    public void Stubs_match_what_LibraryImport_emits(string rid)
    {
        string path = GeneratorHarness.AbiPath(rid);
        AbiTarget target = AbiParser.Parse(path, File.ReadAllText(path)).Target!;
        Assert.NotNull(target);

        var (result, _, _) = GeneratorHarness.RunFile(rid);
        string ours = result.Results[0].GeneratedSources.Single(s => s.HintName == AbiGenerator.HintName(rid)).SourceText.ToString();
        Dictionary<string, MethodDeclarationSyntax> ourStubs = Methods(ours, target.ClassName);

        string declarations = Declarations(target);
        SyntaxTree declTree = CSharpSyntaxTree.ParseText(declarations, GeneratorHarness.ParseOptions);
        var compilation = GeneratorHarness.NewCompilation(declTree);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { LibraryImport.Value }, parseOptions: GeneratorHarness.ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        ImmutableArray<Diagnostic> compileDiagnostics = output.GetDiagnostics();
        Assert.True(compileDiagnostics.IsEmpty, string.Join("\n", compileDiagnostics));
        string theirs = string.Join("\n", driver.GetRunResult().GeneratedTrees.Select(t => t.ToString()));
        Dictionary<string, MethodDeclarationSyntax> theirStubs = Methods(theirs, target.ClassName);

        Assert.Equal(target.Functions.Count, theirStubs.Count);
        foreach (FunctionDef f in target.Functions)
        {
            Assert.True(ourStubs.ContainsKey(f.Name), "no stub for " + f.Name);
            Assert.Equal(Normalize(theirStubs[f.Name]), Normalize(ourStubs[f.Name]));
        }
    }

    [Fact]
    public void Normalization_still_sees_a_different_body()
    {
        MethodDeclarationSyntax a = Methods("unsafe partial class C { static int f(int x) { return g(x); static int g(int y) => y; } }", "C")["f"];
        MethodDeclarationSyntax b = Methods("unsafe partial class C { static int f(int x) { return g(0); static int g(int y) => y; } }", "C")["f"];
        Assert.NotEqual(Normalize(a), Normalize(b));
    }

    /// <summary>The <c>[LibraryImport]</c> declaration a hand-written binding of each stub would use.</summary>
    private static string Declarations(AbiTarget t)
    {
        var sb = new StringBuilder();
        sb.Append("[assembly: System.Runtime.CompilerServices.DisableRuntimeMarshalling]\n");
        sb.Append("#pragma warning disable CS8981\n");
        sb.Append("namespace FdPasser.Interop;\n");
        sb.Append("internal static unsafe partial class ").Append(t.ClassName).Append("\n{\n");
        foreach (StructDef s in t.Structs)
        {
            sb.Append("    public struct ").Append(s.Name).Append(" { }\n");
        }
        foreach (FunctionDef f in t.Functions)
        {
            string library = t.FindLibrary(f.Library)!.SoName;
            var ps = TargetEmitter.StubParameters(t, f);
            sb.Append("    [System.Runtime.InteropServices.LibraryImport(\"").Append(library).Append("\", EntryPoint = \"")
              .Append(f.EntryPoint).Append("\", SetLastError = true)]\n");
            sb.Append("    public static partial ").Append(CSharpTypes.Of(f.ReturnType, t.ClassName)).Append(' ').Append(f.Name).Append('(')
              .Append(string.Join(", ", ps.Select(p => p.Type + " " + TargetEmitter.Escape(p.Name)))).Append(");\n");
        }
        sb.Append("}\n");
        return sb.ToString();
    }

    private static Dictionary<string, MethodDeclarationSyntax> Methods(string source, string className)
    {
        CompilationUnitSyntax root = CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions).GetCompilationUnitRoot();
        return root.DescendantNodes().OfType<ClassDeclarationSyntax>()
            .Where(c => c.Identifier.Text == className)
            .SelectMany(c => c.Members.OfType<MethodDeclarationSyntax>())
            .Where(m => m.Body is not null && m.Body.DescendantNodes().OfType<LocalFunctionStatementSyntax>().Any())
            .ToDictionary(m => m.Identifier.Text);
    }

    /// <summary>
    /// The stub with what may legitimately differ taken out: modifiers (<c>partial</c>, accessibility), the
    /// GeneratedCode attribute's tool name, doc comments, and whitespace. Everything else must be equal.
    /// </summary>
    private static string Normalize(MethodDeclarationSyntax method)
    {
        var withoutGeneratedCode = method.AttributeLists
            .Select(l => l.WithAttributes(SyntaxFactory.SeparatedList(l.Attributes.Where(a => !a.Name.ToString().Contains("GeneratedCode")))))
            .Where(l => l.Attributes.Count > 0);
        MethodDeclarationSyntax m = method
            .WithAttributeLists(SyntaxFactory.List(withoutGeneratedCode))
            .WithModifiers(SyntaxFactory.TokenList());
        return m.NormalizeWhitespace().ToFullString()
            .Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)).Aggregate(new StringBuilder(), (sb, l) => sb.Append(l.Trim()).Append('\n')).ToString();
    }
}
