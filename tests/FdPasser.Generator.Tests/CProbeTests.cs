using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using FdPasser.Generator.Model;
using FdPasser.Generator.Parsing;
using FdPasser.Generator.Validation;

namespace FdPasser.Generator.Tests;

/// <summary>
/// Lets a C compiler for the target check every fact of an ABI file: a generated C file <c>_Static_assert</c>s
/// each struct size, field offset and size, constant, errno value and CMSG macro against the real headers, and
/// takes the address of every function. Compile-only, so cross compilers need no emulator.
/// </summary>
public class CProbeTests
{
    /// <summary>The C compilers Debian has, by the (os, arch, libc) words of the ABI files they compile for.</summary>
    private static readonly (TargetOs Os, TargetArch Arch, TargetLibc Libc, string Compiler, string DebianPackage)[] Toolchains =
    {
        (TargetOs.Linux, TargetArch.X64, TargetLibc.Glibc, "gcc", "gcc"),
        (TargetOs.Linux, TargetArch.Arm64, TargetLibc.Glibc, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
        (TargetOs.Linux, TargetArch.Arm, TargetLibc.Glibc, "arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf"),
        (TargetOs.Linux, TargetArch.X64, TargetLibc.Musl, "musl-gcc", "musl-tools"),
    };

    /// <summary>Every ABI file a Debian toolchain compiles for (macOS, FreeBSD and illumos have none here).</summary>
    public static TheoryData<string, string, string> Targets()
    {
        var data = new TheoryData<string, string, string>();
        foreach (string path in GeneratorHarness.AbiFiles())
        {
            AbiTarget t = AbiParser.Parse(path, File.ReadAllText(path)).Target!;
            foreach (var c in Toolchains.Where(c => c.Os == t.Os && c.Arch == t.Arch && c.Libc == t.Libc))
            {
                data.Add(t.Rid, c.Compiler, c.DebianPackage);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Abi_file_agrees_with_the_system_headers(string rid, string compiler, string debianPackage)
    {
        string? compilerPath = FindOnPath(compiler);
        if (compilerPath is null)
        {
            Assert.Skip($"{compiler} is not installed: install the Debian package {debianPackage} (.ci/run does).");
        }
        string path = GeneratorHarness.AbiPath(rid);
        ValidatedAbi validated = AbiValidator.Validate(AbiParser.Parse(path, File.ReadAllText(path)));
        Assert.Empty(validated.Diagnostics);
        string source = Probe(validated.Target!);
        var (exit, output) = Compile(compilerPath, source, KernelHeadersFor(compiler));
        Assert.True(exit == 0, $"{compiler} rejected abi/{rid}.abi:\n{output}");
    }

    /// <summary>Facts of abi/linux-x64.abi made wrong (a line replaced by another), and what gcc must then name.</summary>
    public static TheoryData<string, string, string, string, string> WrongFacts() => new()
    {
        { "msg_flags      48  i32", "msg_flags      44  i32", "msg_controllen 40  usize", "msg_controllen 40  u32", "msghdr.msg_flags" },
        { "const SYS_openat2       437", "const SYS_openat2       438", "resolve        16  u64", "resolve        16  u32", "open_how.resolve is 4 bytes" },
    };

    [Theory]
    [MemberData(nameof(WrongFacts))]
    public void A_wrong_fact_fails_the_probe(string fact, string wrong, string otherFact, string otherWrong, string named)
    {
        string? gcc = FindOnPath("gcc");
        if (gcc is null)
        {
            Assert.Skip("gcc is not installed: install the Debian package gcc.");
        }
        string path = GeneratorHarness.AbiPath("linux-x64");
        string original = File.ReadAllText(path);
        Assert.Contains(fact, original);
        Assert.Contains(otherFact, original);
        ValidatedAbi validated = AbiValidator.Validate(AbiParser.Parse(path, original.Replace(fact, wrong).Replace(otherFact, otherWrong)));
        Assert.Empty(validated.Diagnostics);
        var (exit, output) = Compile(gcc, Probe(validated.Target!));
        Assert.NotEqual(0, exit);
        Assert.Contains(named, output);
    }

    /// <summary>
    /// Constants newer than the headers the probes compile against (Debian 12: kernel 6.1, glibc 2.36, musl 1.2.3):
    /// checked where the headers define them, skipped where they do not. Each is cited in the ABI files at the kernel
    /// tag that brought it. SO_PASSPIDFD, SO_PEERPIDFD and SCM_PIDFD came with Linux 6.5 (glibc defines SCM_PIDFD from 2.39).
    /// </summary>
    internal static readonly HashSet<string> NewerThanProbeHeaders = new(StringComparer.Ordinal) { "SO_PASSPIDFD", "SO_PEERPIDFD", "SCM_PIDFD" };

    internal static string Probe(AbiTarget t)
    {
        var sb = new StringBuilder();
        sb.Append("#define _GNU_SOURCE 1\n");
        foreach (string h in new[] { "stddef.h", "stdint.h", "errno.h", "fcntl.h", "poll.h", "unistd.h", "sys/types.h", "sys/socket.h", "sys/un.h", "sys/uio.h", "sys/stat.h", "spawn.h", "signal.h", "sys/wait.h", "sys/mman.h", "time.h", "pwd.h", "sys/resource.h", "sched.h" })
        {
            sb.Append("#include <").Append(h).Append(">\n");
        }
        // openat2's struct and flags come from the kernel's uapi header, its number from the C library's list.
        sb.Append("#ifdef __linux__\n#include <linux/openat2.h>\n#include <sys/syscall.h>\n#include <linux/kcmp.h>\n#include <sys/prctl.h>\n#endif\n");
        sb.Append("#define CHECK(cond, what) _Static_assert(cond, what)\n");
        foreach (StructDef s in t.Structs)
        {
            // A name ending in _t is a typedef (posix_spawnattr_t), not a struct tag.
            string c = s.Name.EndsWith("_t", StringComparison.Ordinal) ? s.Name : "struct " + s.Name;
            sb.Append($"CHECK(sizeof({c}) == {s.Size}, \"sizeof({c}) == {s.Size}\");\n");
            foreach (FieldDef f in s.Fields)
            {
                sb.Append($"CHECK(offsetof({c}, {f.Name}) == {f.Offset}, \"{s.Name}.{f.Name} at offset {f.Offset}\");\n");
                sb.Append($"CHECK(sizeof((({c}*)0)->{f.Name}) == {f.Size}, \"{s.Name}.{f.Name} is {f.Size} bytes\");\n");
                if (f.Type.ArrayLength == 0 && f.Type.Name != "ptr")
                {
                    bool signed = f.Type.Name.StartsWith("i", StringComparison.Ordinal);
                    sb.Append($"CHECK((((__typeof__((({c}*)0)->{f.Name}))-1) < 0) == {(signed ? 1 : 0)}, \"{s.Name}.{f.Name} is {(signed ? "signed" : "unsigned")}\");\n");
                }
            }
        }
        sb.Append($"CHECK(sizeof(void*) == {t.PointerSize}, \"pointer size\");\n");
        foreach (ConstDef c in t.Constants)
        {
            if (c.Value is long v && NewerThanProbeHeaders.Contains(c.Name))
            {
                sb.Append($"#ifdef {c.Name}\nCHECK(({c.Name}) == ({v}LL), \"{c.Name} == {v}\");\n#endif\n");
            }
            else if (c.Value is long v2)
            {
                sb.Append($"CHECK(({c.Name}) == ({v2}LL), \"{c.Name} == {v2}\");\n");
            }
            else
            {
                sb.Append($"#ifdef {c.Name}\n#error \"{c.Name} is declared none but the headers define it\"\n#endif\n");
            }
        }
        foreach (ErrnoDef e in t.Errnos)
        {
            sb.Append($"CHECK({e.Name} == {e.Value}, \"{e.Name} == {e.Value}\");\n");
        }
        StructDef cmsghdr = t.FindStruct("cmsghdr")!;
        int header = (cmsghdr.Size + t.CmsgAlign - 1) & ~(t.CmsgAlign - 1);
        sb.Append($"CHECK(CMSG_LEN(0) == {header}, \"CMSG_LEN(0) == {header}\");\n");
        sb.Append($"CHECK(CMSG_LEN(4) == {header + 4}, \"CMSG_LEN(4) == {header + 4}\");\n");
        sb.Append($"CHECK(CMSG_SPACE(1) == {header + t.CmsgAlign}, \"CMSG_SPACE(1) == {header + t.CmsgAlign} (align {t.CmsgAlign})\");\n");
        sb.Append($"CHECK(CMSG_SPACE({4 * t.MaxFds}) > 0, \"CMSG_SPACE of max-fds\");\n");
        sb.Append($"CHECK(CMSG_SPACE({4 * System.Math.Max(t.MaxFds, t.MaxFdsReceived)}) > 0, \"CMSG_SPACE of max-fds-received\");\n");
        sb.Append("void probe_functions(void) {\n");
        foreach (FunctionDef f in t.Functions)
        {
            sb.Append($"    (void)&{f.EntryPoint};\n");
        }
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>
    /// musl-gcc sees only musl's headers, but the kernel's uapi headers (struct open_how) do not depend on the C
    /// library: it gets glibc's copies of linux/, asm/ and asm-generic/ (Debian's linux-libc-dev), and nothing else.
    /// </summary>
    private static string[] KernelHeadersFor(string compiler) =>
        compiler == "musl-gcc" ? new[] { "/usr/include/linux", "/usr/include/asm-generic", "/usr/include/x86_64-linux-gnu/asm" } : Array.Empty<string>();

    private static (int Exit, string Output) Compile(string compiler, string source, string[]? kernelHeaders = null)
    {
        string dir = Directory.CreateTempSubdirectory("fdpasser-probe-").FullName;
        try
        {
            string file = Path.Combine(dir, "probe.c");
            File.WriteAllText(file, source);
            var args = new List<string> { "-std=gnu11", "-Werror", "-c", file, "-o", Path.Combine(dir, "probe.o") };
            if (kernelHeaders is { Length: > 0 })
            {
                string include = Directory.CreateDirectory(Path.Combine(dir, "kernel")).FullName;
                foreach (string header in kernelHeaders)
                {
                    File.CreateSymbolicLink(Path.Combine(include, Path.GetFileName(header)), header);
                }
                args.AddRange(new[] { "-idirafter", include });
            }
            var psi = new ProcessStartInfo(compiler, args)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using Process p = Process.Start(psi)!;
            string stderr = p.StandardError.ReadToEnd();
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stdout + stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
