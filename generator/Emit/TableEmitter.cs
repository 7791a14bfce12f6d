using System.Collections.Generic;
using System.Linq;
using System.Text;
using FdPasser.Generator.Model;

namespace FdPasser.Generator.Emit;

/// <summary>
/// Emits <c>AbiTargets</c>, the table of every target the ABI files describe: the data the platform selection
/// reads, the "supported" text, the OS checks, and the one switch from a target's RID to its generated ABI. Each case
/// of the switch also tests the OS intrinsic, which NativeAOT folds to a constant, so a binary keeps only its own
/// OS's specializations.
/// </summary>
internal static class TableEmitter
{
    public const string FileName = "FdPasser.Interop.AbiTargets.g.cs";

    private const string Arch = "global::System.Runtime.InteropServices.Architecture.";

    public static string Emit(IEnumerable<AbiTarget> targets)
    {
        List<AbiTarget> all = Ordered(targets);
        var sb = new StringBuilder();
        Header.Write(sb, "abi/*.abi (the header lines of every file)");
        sb.Append("namespace ").Append(TargetEmitter.Namespace).Append(";\n\n");
        sb.Append("/// <summary>Every target an ABI file describes; adding a file adds a row.</summary>\n");
        sb.Append("internal static class AbiTargets\n{\n");
        EmitRows(sb, all);
        sb.Append("\n    /// <summary>Where descriptors can be passed, in words.</summary>\n");
        sb.Append("    public const string Supported = \"").Append(Supported(all)).Append("\";\n");
        EmitOsNames(sb);
        EmitCurrentOs(sb, all);
        EmitSwitch(sb, all, "ForSocketTarget", "socket", t => t.Behaviour.Sockets);
        EmitSwitch(sb, all, "ForStreamsTarget", "STREAMS", t => t.Behaviour.Streams);
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>In vocabulary order (OS, architecture, C library), so the first of several candidates is the common one.</summary>
    internal static List<AbiTarget> Ordered(IEnumerable<AbiTarget> targets) =>
        targets.OrderBy(t => t.Os).ThenBy(t => t.Arch).ThenBy(t => t.Libc).ThenBy(t => t.Rid, System.StringComparer.Ordinal).ToList();

    private static void EmitRows(StringBuilder sb, List<AbiTarget> all)
    {
        sb.Append("    /// <summary>The targets, ordered by OS, architecture and C library as abi/README.md lists their words.</summary>\n");
        sb.Append("    public static readonly global::System.Collections.Generic.IReadOnlyList<AbiTargetInfo> All = new AbiTargetInfo[]\n    {\n");
        foreach (AbiTarget t in all)
        {
            sb.Append("        new(\"").Append(t.Rid).Append("\", \"").Append(Vocabulary.Of(t.Os).Name).Append("\", ")
              .Append(Arch).Append(Vocabulary.ArchitectureMember(t.Arch)).Append(", \"")
              .Append(Vocabulary.NameOf(Vocabulary.Libcs, t.Libc)).Append("\", \"").Append(t.FindLibrary("libc")!.SoName).Append("\", ")
              .Append(TargetEmitter.Bool(t.Behaviour.Sockets)).Append(", ").Append(TargetEmitter.Bool(t.Behaviour.Streams)).Append("),\n");
        }
        sb.Append("    };\n");
    }

    /// <summary>"Linux (x64, arm64, arm; glibc and musl), macOS (x64, arm64), FreeBSD x64 and illumos x64 (sockets and STREAMS)".</summary>
    internal static string Supported(List<AbiTarget> all)
    {
        var groups = new List<string>();
        foreach (OsWord os in Vocabulary.Oses)
        {
            List<AbiTarget> mine = all.Where(t => t.Os == os.Value).ToList();
            if (mine.Count == 0)
            {
                continue;
            }
            List<string> arches = mine.Select(t => t.Arch).Distinct().OrderBy(a => a).Select(a => Vocabulary.NameOf(Vocabulary.Arches, a)).ToList();
            List<string> libcs = mine.Where(t => t.Libc != TargetLibc.System).Select(t => t.Libc).Distinct().OrderBy(l => l)
                .Select(l => Vocabulary.NameOf(Vocabulary.Libcs, l)).ToList();
            var notes = new List<string>();
            if (libcs.Count > 1)
            {
                notes.Add(And(libcs));
            }
            bool sockets = mine.Any(t => t.Behaviour.Sockets), streams = mine.Any(t => t.Behaviour.Streams);
            if (streams)
            {
                notes.Add(sockets ? "sockets and STREAMS" : "STREAMS only");
            }
            groups.Add(arches.Count == 1
                ? os.Display + " " + arches[0] + (notes.Count > 0 ? " (" + string.Join("; ", notes) + ")" : "")
                : os.Display + " (" + string.Join(", ", arches) + (notes.Count > 0 ? "; " + string.Join("; ", notes) : "") + ")");
        }
        return "FdPasser passes descriptors on " + (groups.Count == 0 ? "no system (there are no ABI files)" : And(groups));
    }

    private static string And(List<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[items.Count - 1];

    private static void EmitOsNames(StringBuilder sb)
    {
        sb.Append("\n    /// <summary>The ABI name of an operating system given by any of its names (<c>macos</c> is <c>osx</c>), or null.</summary>\n");
        sb.Append("    public static string? OsNamed(string name) => name switch\n    {\n");
        foreach (OsWord os in Vocabulary.Oses)
        {
            sb.Append("        ").Append(string.Join(" or ", os.Names.Select(n => "\"" + n + "\""))).Append(" => \"").Append(os.Name).Append("\",\n");
        }
        sb.Append("        _ => null,\n    };\n");
    }

    private static void EmitCurrentOs(StringBuilder sb, List<AbiTarget> all)
    {
        sb.Append("\n    /// <summary>This process's operating system by its ABI name (or <c>windows</c>), or null where it is none of them.</summary>\n");
        sb.Append("    public static string? CurrentOs() =>\n");
        foreach (OsWord os in Vocabulary.Oses)
        {
            sb.Append("        ").Append(os.Check).Append(" ? \"").Append(os.Name).Append("\" :\n");
        }
        foreach (var (name, check) in Vocabulary.OtherOses)
        {
            sb.Append("        ").Append(check).Append(" ? \"").Append(name).Append("\" :\n");
        }
        sb.Append("        null;\n");
        List<OsWord> described = Vocabulary.Oses.Where(o => all.Any(t => t.Os == o.Value)).ToList();
        sb.Append("\n    /// <summary>\n");
        sb.Append("    /// True in a process on an operating system some ABI file describes; every one is a Unix, so the platform\n");
        sb.Append("    /// analyzer may take it as a check for Unix-only calls (file modes).\n");
        sb.Append("    /// </summary>\n");
        foreach (var (name, _) in Vocabulary.OtherOses)
        {
            sb.Append("    [global::System.Runtime.Versioning.UnsupportedOSPlatformGuard(\"").Append(name).Append("\")]\n");
        }
        sb.Append("    public static bool RunsOnDescribedOs => ")
          .Append(described.Count == 0 ? "false" : string.Join(" || ", described.Select(o => "(" + o.Check + ")"))).Append(";\n");
    }

    private static void EmitSwitch(StringBuilder sb, List<AbiTarget> all, string method, string what, System.Func<AbiTarget, bool> has)
    {
        sb.Append("\n    /// <summary>\n");
        sb.Append("    /// What <typeparamref name=\"TFactory\"/> builds for the ").Append(what)
          .Append(" path of target <paramref name=\"rid\"/>, or null where there is none or this process cannot use it.\n");
        sb.Append("    /// </summary>\n");
        sb.Append("    public static object? ").Append(method).Append("<TFactory>(string? rid)\n");
        sb.Append("        where TFactory : ITargetFactory\n    {\n");
        List<AbiTarget> rows = all.Where(has).ToList();
        if (rows.Count == 0)
        {
            sb.Append("        _ = rid;\n");
        }
        else
        {
            sb.Append("        switch (rid)\n        {\n");
            foreach (AbiTarget t in rows)
            {
                sb.Append("            case \"").Append(t.Rid).Append("\" when (").Append(Vocabulary.Of(t.Os).Check)
                  .Append(") && global::System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == ")
                  .Append(Arch).Append(Vocabulary.ArchitectureMember(t.Arch)).Append(":\n");
                sb.Append("                return TFactory.Create<").Append(t.ClassName).Append(".Abi>();\n");
            }
            sb.Append("        }\n");
        }
        sb.Append("        return null;\n    }\n");
    }
}
