using System.Collections.Generic;
using System.Linq;

namespace FdPasser.Generator.Model;

/// <summary>The operating systems an ABI file may name (<c>os</c> line).</summary>
internal enum TargetOs
{
    Linux,
    Osx,
    Freebsd,
    Illumos,
}

/// <summary>The process architectures an ABI file may name (<c>arch</c> line).</summary>
internal enum TargetArch
{
    X64,
    Arm64,
    Arm,
}

/// <summary>The C libraries an ABI file may name (<c>libc</c> line); <c>system</c> where the OS has only one.</summary>
internal enum TargetLibc
{
    Glibc,
    Musl,
    System,
}

/// <summary>How a target reads a connected socket's peer credentials (<c>peercred</c> line).</summary>
internal enum PeerCredMethod
{
    SoPeercred,
    LocalPeercred,
    Getpeerucred,
}

/// <summary>A descriptor-passing mechanism a target has (<c>transports</c> line).</summary>
internal enum TargetTransport
{
    Socket,
    Streams,
}

/// <summary>One word of a header line's vocabulary and the value it stands for.</summary>
internal sealed record Word<T>(string Name, T Value);

/// <summary>
/// An operating system as the generated target table knows it. <paramref name="Names"/> are what
/// <c>PlatformSelection.Select</c> accepts (the ABI name first); <paramref name="Check"/> is a C# expression true in a
/// process on that OS, built from <c>OperatingSystem.Is…</c> intrinsics NativeAOT folds to a constant for its target.
/// </summary>
internal sealed record OsWord(TargetOs Value, string[] Names, string Display, string Check)
{
    public string Name => Names[0];
}

/// <summary>A primitive type word of the ABI format: its size in bytes (0 where it is pointer-sized) and its C# spelling.</summary>
internal sealed record Primitive(string Name, int Size, string CSharp)
{
    public int SizeOn(int pointerSize) => Size == 0 ? pointerSize : Size;
}

/// <summary>An operating system no ABI file describes, and a C# expression true in a process on it.</summary>
internal sealed record OtherOs(string Name, string Check);

/// <summary>
/// The words the header lines of an ABI file are made of: the one place that lists the operating systems,
/// architectures and C libraries a target can have. Which targets exist is said only by the ABI files.
/// </summary>
internal static class Vocabulary
{
    private const string Os = "global::System.OperatingSystem.";

    /// <summary>In the order the "supported" text and the target table list them.</summary>
    public static readonly OsWord[] Oses =
    {
        new(TargetOs.Linux, new[] { "linux" }, "Linux", Os + "IsLinux()"),
        new(TargetOs.Osx, new[] { "osx", "macos" }, "macOS", Os + "IsMacOS()"),
        new(TargetOs.Freebsd, new[] { "freebsd" }, "FreeBSD", Os + "IsFreeBSD()"),
        // IsOSPlatform(string) alone is not folded by NativeAOT; the named checks before it are, so on Linux, macOS
        // and FreeBSD the whole expression is a constant false and the illumos code is dropped.
        new(TargetOs.Illumos, new[] { "illumos", "solaris" }, "illumos",
            "!" + Os + "IsLinux() && !" + Os + "IsMacOS() && !" + Os + "IsFreeBSD() && !" + Os + "IsWindows() && (" +
            Os + "IsOSPlatform(\"illumos\") || " + Os + "IsOSPlatform(\"solaris\"))"),
    };

    /// <summary>Systems no ABI file can describe, named so a process there is told why (Windows has no Unix descriptors).</summary>
    public static readonly OtherOs[] OtherOses = { new("windows", Os + "IsWindows()") };

    /// <summary>Architecture words and the <c>System.Runtime.InteropServices.Architecture</c> member of each.</summary>
    public static readonly Word<TargetArch>[] Arches =
    {
        new("x64", TargetArch.X64),
        new("arm64", TargetArch.Arm64),
        new("arm", TargetArch.Arm),
    };

    public static readonly Word<TargetLibc>[] Libcs =
    {
        new("glibc", TargetLibc.Glibc),
        new("musl", TargetLibc.Musl),
        new("system", TargetLibc.System),
    };

    public static readonly Word<PeerCredMethod>[] PeerCredMethods =
    {
        new("so_peercred", PeerCredMethod.SoPeercred),
        new("local_peercred", PeerCredMethod.LocalPeercred),
        new("getpeerucred", PeerCredMethod.Getpeerucred),
    };

    public static readonly Word<TargetTransport>[] Transports =
    {
        new("socket", TargetTransport.Socket),
        new("streams", TargetTransport.Streams),
    };

    public static readonly Word<bool>[] YesNo = { new("yes", true), new("no", false) };

    public static readonly Word<bool>[] TrustedUntrusted = { new("trusted", true), new("untrusted", false) };

    public static readonly Word<bool>[] VariadicPlaces = { new("registers", false), new("stack", true) };

    /// <summary>The types a struct field or function parameter may have, besides pointers to declared structs.</summary>
    public static readonly Primitive[] Primitives =
    {
        new("i8", 1, "sbyte"),
        new("u8", 1, "byte"),
        new("i16", 2, "short"),
        new("u16", 2, "ushort"),
        new("i32", 4, "int"),
        new("u32", 4, "uint"),
        new("i64", 8, "long"),
        new("u64", 8, "ulong"),
        new("isize", 0, "nint"),
        new("usize", 0, "nuint"),
        new("ptr", 0, "void*"),
    };

    public static Primitive? PrimitiveNamed(string name) => Primitives.FirstOrDefault(p => p.Name == name);

    public static OsWord Of(TargetOs os) => Oses.First(o => o.Value == os);

    public static string NameOf<T>(IEnumerable<Word<T>> words, T value) => words.First(w => EqualityComparer<T>.Default.Equals(w.Value, value)).Name;

    /// <summary>The C# member of <c>Architecture</c>: <c>X64</c>, <c>Arm64</c>, <c>Arm</c>.</summary>
    public static string ArchitectureMember(TargetArch arch) => arch.ToString();
}
