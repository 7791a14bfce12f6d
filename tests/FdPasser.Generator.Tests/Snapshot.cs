using System;
using System.IO;
using System.Text;

namespace FdPasser.Generator.Tests;

/// <summary>
/// Compares generated source with a checked-in expected file. Set <c>FDPASSER_ACCEPT_SNAPSHOTS=1</c> to write the
/// new output as the expected file instead (then review it with <c>git diff</c>).
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "FDPASSER_ACCEPT_SNAPSHOTS";

    public static string Directory => Path.Combine(GeneratorHarness.RepoRoot, "tests", "FdPasser.Generator.Tests", "Snapshots");

    public static void Match(string name, string actual)
    {
        string path = Path.Combine(Directory, name);
        actual = actual.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"No snapshot {path}. Run the tests with {AcceptVariable}=1 to create it, then review it.");
        string expected = File.ReadAllText(path).Replace("\r\n", "\n");
        if (expected != actual)
        {
            Assert.Fail($"Generated {name} differs from its snapshot (run with {AcceptVariable}=1 to accept):\n{Diff(expected, actual)}");
        }
    }

    /// <summary>A short line diff: the first differing lines with some context, enough to see what changed.</summary>
    internal static string Diff(string expected, string actual)
    {
        string[] a = expected.Split('\n'), b = actual.Split('\n');
        var sb = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < Math.Max(a.Length, b.Length) && shown < 20; i++)
        {
            string? x = i < a.Length ? a[i] : null, y = i < b.Length ? b[i] : null;
            if (x == y)
            {
                continue;
            }
            sb.Append("@@ line ").Append(i + 1).Append('\n');
            if (x is not null)
            {
                sb.Append("- ").Append(x).Append('\n');
            }
            if (y is not null)
            {
                sb.Append("+ ").Append(y).Append('\n');
            }
            shown++;
        }
        return sb.ToString();
    }
}
