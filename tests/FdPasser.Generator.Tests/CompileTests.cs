using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FdPasser.Generator.Tests;

/// <summary>The generated code compiles without a warning, as a user's build with warnings as errors sees it.</summary>
public class CompileTests
{
    [Theory]
    [MemberData(nameof(SnapshotTests.Rids), MemberType = typeof(SnapshotTests))]
    public void Each_target_compiles_warning_free(string rid)
    {
        var (_, output, generatorDiagnostics) = GeneratorHarness.RunFile(rid);
        Assert.Empty(generatorDiagnostics);
        Assert.Equal(3, output.SyntaxTrees.Count()); // the contract, the target and the table of targets
        ImmutableArray<Diagnostic> diagnostics = output.GetDiagnostics();
        Assert.True(diagnostics.IsEmpty, string.Join("\n", diagnostics));
    }

    [Fact]
    public void All_targets_compile_together_into_one_assembly()
    {
        GeneratorDriver driver = GeneratorHarness.NewDriver(GeneratorHarness.AbiFiles()
            .Select(p => (AdditionalText)new InMemoryText(p, File.ReadAllText(p))).ToArray());
        driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.NewCompilation(), out Compilation output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.Equal(GeneratorHarness.AbiFiles().Count() + 2, output.SyntaxTrees.Count());
        ImmutableArray<Diagnostic> diagnostics = output.GetDiagnostics();
        Assert.True(diagnostics.IsEmpty, string.Join("\n", diagnostics));
    }

    [Fact]
    public void A_generic_user_of_the_contract_compiles_against_a_target()
    {
        SyntaxTree user = CSharpSyntaxTree.ParseText("""
            namespace FdPasser.Interop;
            internal static unsafe class User<TAbi> where TAbi : IPlatformAbi
            {
                public static nuint Space(int fds) => TAbi.CmsgSpace((nuint)(fds * sizeof(int)));
            }
            internal static class Use
            {
                public static nuint Go() => User<LinuxX64.Abi>.Space(1);
            }
            """, GeneratorHarness.ParseOptions);
        string path = GeneratorHarness.AbiPath("linux-x64");
        var (_, output, generatorDiagnostics) = GeneratorHarness.Run(path, File.ReadAllText(path), user);
        Assert.Empty(generatorDiagnostics);
        Assert.Empty(output.GetDiagnostics());
    }
}
