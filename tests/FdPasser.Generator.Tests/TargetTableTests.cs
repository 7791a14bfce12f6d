using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FdPasser.Generator.Tests;

/// <summary>
/// Adding a target is adding one ABI file: the generated table, the "supported" text, the RID switch and the
/// runtime's own <c>PlatformSelection</c> (compiled from runtime/ against the generated code) all take it up.
/// </summary>
public class TargetTableTests
{
    /// <summary>
    /// A target no file in abi/ describes, made for this test only: freebsd-x64's facts under the RID freebsd-arm64
    /// (arm64 is in the vocabulary; the facts are not checked against FreeBSD's arm64 headers and need not be here).
    /// </summary>
    private static (string Name, string Text) FreebsdArm64()
    {
        string text = File.ReadAllText(GeneratorHarness.AbiPath("freebsd-x64"));
        Assert.Contains("target freebsd-x64\n", text);
        Assert.Contains("arch x64\n", text);
        return ("freebsd-arm64.abi", text.Replace("target freebsd-x64\n", "target freebsd-arm64\n").Replace("arch x64\n", "arch arm64\n"));
    }

    private static (string Name, string Text)[] RealFiles() =>
        GeneratorHarness.AbiFiles().Select(p => (Path.GetFileName(p), File.ReadAllText(p))).ToArray();

    internal static GeneratorDriverRunResult RunAll((string Name, string Text)[] files, out Compilation output)
    {
        GeneratorDriver driver = GeneratorHarness.NewDriver(files
            .Select(f => (AdditionalText)new InMemoryText("/src/abi/" + f.Name, f.Text)).ToArray());
        SyntaxTree[] runtime = new[] { "runtime/FdTransportKind.cs", "runtime/Target/PlatformSelection.cs" }
            .Select(p => CSharpSyntaxTree.ParseText(File.ReadAllText(Path.Combine(GeneratorHarness.RepoRoot, p)), GeneratorHarness.ParseOptions, p))
            .ToArray();
        driver = driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.NewCompilation(runtime), out output, out ImmutableArray<Diagnostic> diagnostics);
        Assert.Empty(diagnostics);
        return driver.GetRunResult();
    }

    internal static GeneratorDriverRunResult RunAll((string Name, string Text)[] files) => RunAll(files, out _);

    private static string Table(GeneratorDriverRunResult result) =>
        result.Results[0].GeneratedSources.Single(s => s.HintName == "FdPasser.Interop.AbiTargets.g.cs").SourceText.ToString();

    /// <summary>Compiles the runtime's selection with the generated table and calls <c>PlatformSelection.Select</c>.</summary>
    private static (string? SocketRid, string? Reason) Select(Compilation compilation, string os, Architecture arch)
    {
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var context = new AssemblyLoadContext("target-table", isCollectible: true);
        try
        {
            image.Position = 0;
            Assembly assembly = context.LoadFromStream(image);
            MethodInfo select = assembly.GetType("FdPasser.Platform.PlatformSelection", throwOnError: true)!
                .GetMethod("Select", new[] { typeof(string), typeof(Architecture), typeof(string) })!;
            object choice = select.Invoke(null, new object?[] { os, arch, null })!;
            return ((string?)choice.GetType().GetProperty("SocketRid")!.GetValue(choice),
                (string?)choice.GetType().GetProperty("UnsupportedReason")!.GetValue(choice));
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void The_table_lists_every_abi_file_and_says_what_is_supported()
    {
        string table = Table(RunAll(RealFiles()));
        foreach (string? rid in GeneratorHarness.AbiFiles().Select(Path.GetFileNameWithoutExtension))
        {
            Assert.Contains($"new(\"{rid}\", ", table);
            Assert.Contains($"case \"{rid}\" when ", table);
        }
        Assert.Contains(
            "\"FdPasser passes descriptors on Linux (x64, arm64, arm; glibc and musl), macOS (x64, arm64), FreeBSD x64 and illumos x64 (sockets and STREAMS)\"",
            table);
    }

    [Fact]
    public void An_added_abi_file_flows_into_the_table_and_the_selection_with_no_other_edit()
    {
        RunAll(RealFiles(), out Compilation before);
        var (noRid, reason) = Select(before, "freebsd", Architecture.Arm64);
        Assert.Null(noRid);
        Assert.Contains("no ABI description for freebsd on Arm64", reason);

        GeneratorDriverRunResult result = RunAll(RealFiles().Append(FreebsdArm64()).ToArray(), out Compilation after);
        string table = Table(result);
        Assert.Contains("FreeBSD (x64, arm64)", table);
        Assert.Contains(
            "case \"freebsd-arm64\" when (global::System.OperatingSystem.IsFreeBSD()) && " +
            "global::System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == global::System.Runtime.InteropServices.Architecture.Arm64:\n" +
            "                return TFactory.Create<FreebsdArm64.Abi>();",
            table);
        Assert.Equal(("freebsd-arm64", (string?)null), Select(after, "freebsd", Architecture.Arm64));
        Assert.Equal(("freebsd-x64", (string?)null), Select(after, "FreeBSD", Architecture.X64));
        Assert.Equal(("linux-x64", (string?)null), Select(after, "linux", Architecture.X64));
    }

    [Fact]
    public void Only_targets_whose_transports_line_names_streams_get_a_STREAMS_case()
    {
        string table = Table(RunAll(RealFiles()));
        string streams = table.Substring(table.IndexOf("ForStreamsTarget<TFactory>", StringComparison.Ordinal));
        Assert.Contains("case \"illumos-x64\" when ", streams);
        Assert.DoesNotContain("case \"linux-x64\" when ", streams);
        Assert.Contains("new(\"illumos-x64\", \"illumos\", global::System.Runtime.InteropServices.Architecture.X64, \"system\", \"libc.so.1\", true, true)", table);
    }
}
