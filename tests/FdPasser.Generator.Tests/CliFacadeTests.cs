using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace FdPasser.Generator.Tests;

/// <summary>
/// The cli reaches the per-target layer only through its facade, <c>FdPasser.Hosting.CliTarget</c>
/// (runtime/Hosting/CliTarget.cs): no cli source names any other type of the target layer (runtime/Target,
/// the transports' per-target code, the generated interop) than the facade and the types its members return.
/// </summary>
public sealed class CliFacadeTests
{
    /// <summary>What <c>CliTarget</c> hands out; the cli may name these types, and nothing else of the layer.</summary>
    private static readonly HashSet<string> Exposed = new(StringComparer.Ordinal)
    {
        "CliTarget", "PlatformConstants", "FileCalls", "ProcessCalls", "MemoryCalls", "SocketTransport",
    };

    private static readonly Regex Declaration = new(@"\b(?:class|struct|interface|enum|record(?:\s+struct)?)\s+([A-Z]\w*)", RegexOptions.CultureInvariant);

    private static readonly Regex LayerNamespace = new(@"^namespace FdPasser\.(?:Platform|Interop|Bsd|Streams)\s*;", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    /// <summary>Comments and string literals, which may name anything.</summary>
    private static readonly Regex Prose = new(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|\$?""(?:[^""\\\n]|\\.)*""", RegexOptions.Singleline | RegexOptions.CultureInvariant);

    /// <summary>The types of the target layer: declared in its namespaces by runtime sources, or generated (the snapshots).</summary>
    internal static HashSet<string> LayerTypes()
    {
        string root = GeneratorHarness.RepoRoot;
        var names = new HashSet<string>(StringComparer.Ordinal);
        IEnumerable<string> runtime = Directory.EnumerateFiles(Path.Combine(root, "runtime"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        IEnumerable<string> generated = Directory.EnumerateFiles(Path.Combine(root, "tests", "FdPasser.Generator.Tests", "Snapshots"), "*.g.cs");
        foreach (string file in runtime.Concat(generated))
        {
            string text = File.ReadAllText(file);
            if (!LayerNamespace.IsMatch(text))
            {
                continue;
            }
            foreach (Match m in Declaration.Matches(Prose.Replace(text, "")))
            {
                names.Add(m.Groups[1].Value);
            }
        }
        return names;
    }

    /// <summary>Where a cli source names one of <paramref name="forbidden"/> as a type (not as a member, a named argument or a declared name).</summary>
    internal static IEnumerable<string> Uses(string source, ISet<string> forbidden)
    {
        string code = Prose.Replace(source, "");
        foreach (Match m in Regex.Matches(code, @"(?<![\w.])(?:FdPasser\.\w+\.)?([A-Z]\w*)\b(?!\s*:(?!:))"))
        {
            string name = m.Groups[1].Value;
            if (!forbidden.Contains(name))
            {
                continue;
            }
            // "string Target" declares a name that happens to equal a type's.
            string before = code[..m.Index].TrimEnd();
            if (before.Length > 0 && (char.IsLetterOrDigit(before[^1]) || before[^1] is '>' or ']' or '?') && !before.EndsWith("new", StringComparison.Ordinal) && !before.EndsWith("using", StringComparison.Ordinal) && !before.EndsWith("is", StringComparison.Ordinal) && !before.EndsWith("as", StringComparison.Ordinal))
            {
                continue;
            }
            yield return name;
        }
    }

    [Fact]
    public void The_layer_is_found_and_holds_the_old_doors()
    {
        HashSet<string> layer = LayerTypes();
        Assert.Contains("Target", layer);
        Assert.Contains("PlatformSelection", layer);
        Assert.Contains("AbiTargets", layer);
        Assert.Contains("IPlatformAbi", layer);
        Assert.Contains("BsdTransport", layer);
        foreach (string exposed in Exposed.Where(n => n != "CliTarget"))
        {
            Assert.Contains(exposed, layer);
        }
    }

    [Theory]
    [InlineData("var t = Target.Current.Files;", "Target")]
    [InlineData("FdPasser.Platform.PlatformSelection.Current();", "PlatformSelection")]
    [InlineData("int n = AbiTargets.All.Count;", "AbiTargets")]
    [InlineData("static void F(IPlatformAbi a) { }", "IPlatformAbi")]
    public void A_use_of_the_layer_beside_the_facade_is_found(string source, string expected)
    {
        var forbidden = new HashSet<string>(LayerTypes().Except(Exposed), StringComparer.Ordinal);
        Assert.Equal(new[] { expected }, Uses(source, forbidden).ToArray());
    }

    [Theory]
    [InlineData("IEnumerable<(string Fd, string Target)> Descriptors(int pid)")]
    [InlineData("// Target.Current is not for the cli")]
    [InlineData("string s = \"PlatformSelection\";")]
    [InlineData("CliTarget.Current.Files.TryOpen(path, flags, 0, out int errno);")]
    [InlineData("x.Target = 1;")]
    public void Names_that_are_not_uses_of_the_layer_are_not_counted(string source)
    {
        var forbidden = new HashSet<string>(LayerTypes().Except(Exposed), StringComparer.Ordinal);
        Assert.Empty(Uses(source, forbidden));
    }

    [Fact]
    public void Cli_sources_use_the_target_layer_only_through_CliTarget()
    {
        var forbidden = new HashSet<string>(LayerTypes().Except(Exposed), StringComparer.Ordinal);
        string cli = Path.Combine(GeneratorHarness.RepoRoot, "cli");
        var found = new List<string>();
        foreach (string file in Directory.EnumerateFiles(cli, "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                                 !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            foreach (string name in Uses(File.ReadAllText(file), forbidden).Distinct())
            {
                found.Add($"{Path.GetRelativePath(GeneratorHarness.RepoRoot, file)}: {name}");
            }
        }
        Assert.True(found.Count == 0, "cli files name the target layer beside CliTarget:\n" + string.Join("\n", found));
    }
}
