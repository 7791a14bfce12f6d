using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FdPasser.Generator.Tests;

public class IncrementalTests
{
    [Fact]
    public void Editing_an_unrelated_csharp_file_leaves_parse_and_emit_unchanged()
    {
        string path = GeneratorHarness.AbiPath("linux-x64");
        GeneratorDriver driver = GeneratorHarness.NewDriver(new InMemoryText(path, File.ReadAllText(path)));
        SyntaxTree first = CSharpSyntaxTree.ParseText("class A { }", GeneratorHarness.ParseOptions);
        Compilation compilation = GeneratorHarness.NewCompilation(first);
        driver = driver.RunGenerators(compilation);

        SyntaxTree edited = CSharpSyntaxTree.ParseText("class A { int x; }", GeneratorHarness.ParseOptions);
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(first, edited));

        GeneratorRunResult run = driver.GetRunResult().Results[0];
        AssertNotRerun(run, AbiGenerator.Steps.Read, AbiGenerator.Steps.Parse, AbiGenerator.Steps.Validate,
            AbiGenerator.Steps.Emit, AbiGenerator.Steps.Table);
    }

    [Fact]
    public void Editing_a_comment_in_the_abi_file_reparses_and_revalidates_but_runs_no_emitter()
    {
        // A new comment line moves every later line, so only a step that ignores locations stays equal.
        GeneratorRunResult run = RunAfterAbiEdit(text =>
        {
            int firstFact = text.IndexOf("\nconst ", System.StringComparison.Ordinal) + 1;
            Assert.True(firstFact > 0, "test setup: no const line");
            return text.Insert(firstFact, "# a reworded note\n");
        });
        Assert.Contains(run.TrackedSteps[AbiGenerator.Steps.Parse].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        AssertNotRerun(run, AbiGenerator.Steps.Validate, AbiGenerator.Steps.Emit, AbiGenerator.Steps.Table);
    }

    [Fact]
    public void Editing_the_abi_file_reruns_parse()
    {
        GeneratorRunResult run = RunAfterAbiEdit(text => text.Replace("const SOMAXCONN         4096", "const SOMAXCONN         128"));
        Assert.Contains(run.TrackedSteps[AbiGenerator.Steps.Parse].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(run.TrackedSteps[AbiGenerator.Steps.Emit].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("SOMAXCONN = 128", run.GeneratedSources.Single(s => s.HintName.Contains("LinuxX64")).SourceText.ToString());
    }

    /// <summary>Runs the generator over abi/linux-x64.abi, then again after <paramref name="edit"/> changed its text.</summary>
    private static GeneratorRunResult RunAfterAbiEdit(System.Func<string, string> edit)
    {
        string path = GeneratorHarness.AbiPath("linux-x64");
        string text = File.ReadAllText(path);
        var original = new InMemoryText(path, text);
        GeneratorDriver driver = GeneratorHarness.NewDriver(original);
        Compilation compilation = GeneratorHarness.NewCompilation();
        driver = driver.RunGenerators(compilation);
        driver = driver.ReplaceAdditionalText(original, new InMemoryText(path, edit(text)));
        driver = driver.RunGenerators(compilation);
        return driver.GetRunResult().Results[0];
    }

    private static void AssertNotRerun(GeneratorRunResult run, params string[] steps)
    {
        foreach (string step in steps)
        {
            var outputs = run.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(
                o.Reason is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached, $"{step}: {o.Reason}"));
        }
    }
}
