using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using FdPasser.Interop;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Processes;

/// <summary>
/// What execve would say about a program, found before the child exists. With passed descriptors the program is
/// exec'd by env(1) behind a shell step, where a failure would only be an exit status (126/127) and a file the kernel
/// refuses with ENOEXEC would be run as a shell script (execvp's fallback); checking here gives the caller the same
/// exception either way. It follows the kernel's loaders: <c>#!</c> scripts (the interpreter must exist, be
/// executable and loadable itself), ELF files with a valid class, byte order and type (their PT_INTERP loader must
/// exist), and binfmt_misc's registered formats; anything else is ENOEXEC.
/// </summary>
internal static class ExecCheck
{
    // The kernel reads this much of a file to pick its loader (BINPRM_BUF_SIZE), and follows at most 4 interpreters.
    private const int Head = 256;
    private const int MaxInterpreters = 4;

    public static void Verify(Target native, string path) => Verify(native, path, path, 0);

    private static void Verify(Target native, string program, string path, int depth)
    {
        if (!AbiTargets.RunsOnDescribedOs)
        {
            return;
        }
        PlatformConstants c = native.Constants;
        if (depth > MaxInterpreters)
        {
            throw Refused(native, program, c.ELOOP, $"more than {MaxInterpreters} #! interpreters in a row ({path})");
        }
        if (!File.Exists(path))
        {
            throw Refused(native, program, Directory.Exists(path) ? c.EACCES : c.ENOENT,
                depth == 0 ? "it does not exist" : $"its interpreter '{path}' does not exist");
        }
        if ((File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            throw Refused(native, program, c.EACCES, depth == 0 ? "it is not executable" : $"its interpreter '{path}' is not executable");
        }
        byte[] head = new byte[Head];
        int length;
        try
        {
            using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            length = RandomAccess.Read(file, head, 0);
            if (length >= 4 && head.AsSpan(0, 4).SequenceEqual("\u007fELF"u8))
            {
                VerifyElf(native, program, path, file, head.AsSpan(0, length));
                return;
            }
        }
        catch (UnauthorizedAccessException)
        {
            // Executable but not readable (mode 0111): only the kernel can look inside; let it.
            return;
        }
        ReadOnlySpan<byte> bytes = head.AsSpan(0, length);
        if (bytes.StartsWith("#!"u8))
        {
            string interpreter = Interpreter(bytes.Slice(2));
            if (interpreter.Length == 0)
            {
                throw Refused(native, program, c.ENOEXEC, $"'{path}' starts with #! but names no interpreter");
            }
            Verify(native, program, Path.GetFullPath(interpreter), depth + 1);
            return;
        }
        if (!BinfmtMisc.Handles(path, bytes))
        {
            throw Refused(native, program, c.ENOEXEC,
                (depth == 0 ? "it is" : $"its interpreter '{path}' is") + " neither an ELF file nor a #! script (nor a format registered with binfmt_misc)");
        }
    }

    /// <summary>The interpreter's path on a #! line: after spaces and tabs, up to the next space, tab or newline.</summary>
    private static string Interpreter(ReadOnlySpan<byte> line)
    {
        int end = line.IndexOf((byte)'\n');
        if (end >= 0)
        {
            line = line.Slice(0, end);
        }
        line = line.TrimStart(" \t"u8);
        int stop = line.IndexOfAny(" \t"u8);
        return Encoding.UTF8.GetString(stop >= 0 ? line.Slice(0, stop) : line);
    }

    private static void VerifyElf(Target native, string program, string path, SafeFileHandle file, ReadOnlySpan<byte> head)
    {
        int enoexec = native.Constants.ENOEXEC;
        // The machine is not compared with this process's: under qemu-user an emulated process still runs the host's
        // programs natively, and binfmt_misc may run another machine's.
        bool is64 = head.Length > 5 && head[4] == 2;
        bool little = head.Length > 5 && head[5] == 1;
        if (head.Length < (is64 ? 64 : 52) || head[4] is not (1 or 2) || head[5] is not (1 or 2))
        {
            throw Refused(native, program, enoexec, $"'{path}' has an ELF signature but no valid ELF header");
        }
        int type = Read16(head, 16, little);
        if (type is not (2 or 3))
        {
            throw Refused(native, program, enoexec, $"'{path}' is an ELF file but not an executable (e_type {type})");
        }
        string? loader = ElfInterpreter(file, head, is64, little);
        if (loader is not null && !File.Exists(loader))
        {
            throw Refused(native, program, native.Constants.ENOENT, $"its program loader '{loader}' (PT_INTERP) does not exist");
        }
    }

    /// <summary>The PT_INTERP path of an ELF file, or null where it has none or its headers do not fit the file.</summary>
    private static string? ElfInterpreter(SafeFileHandle file, ReadOnlySpan<byte> head, bool is64, bool little)
    {
        long phoff = is64 ? Read64(head, 32, little) : Read32(head, 28, little);
        int entsize = Read16(head, is64 ? 54 : 42, little);
        int count = Read16(head, is64 ? 56 : 44, little);
        if (entsize < (is64 ? 56 : 32) || count == 0 || count > 512 || phoff <= 0)
        {
            return null;
        }
        byte[] table = new byte[entsize * count];
        if (RandomAccess.Read(file, table, phoff) != table.Length)
        {
            return null;
        }
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> ph = table.AsSpan(i * entsize, entsize);
            if (Read32(ph, 0, little) != 3)
            {
                continue;
            }
            long offset = is64 ? Read64(ph, 8, little) : Read32(ph, 4, little);
            long size = is64 ? Read64(ph, 32, little) : Read32(ph, 16, little);
            if (size is <= 1 or > 4096)
            {
                return null;
            }
            byte[] name = new byte[size];
            int n = RandomAccess.Read(file, name, offset);
            int end = Array.IndexOf(name, (byte)0, 0, n);
            return Encoding.UTF8.GetString(name, 0, end < 0 ? n : end);
        }
        return null;
    }

    private static int Read16(ReadOnlySpan<byte> b, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(at)) : BinaryPrimitives.ReadUInt16BigEndian(b.Slice(at));

    private static long Read32(ReadOnlySpan<byte> b, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(at)) : BinaryPrimitives.ReadUInt32BigEndian(b.Slice(at));

    private static long Read64(ReadOnlySpan<byte> b, int at, bool little) =>
        (long)Math.Min(little ? BinaryPrimitives.ReadUInt64LittleEndian(b.Slice(at)) : BinaryPrimitives.ReadUInt64BigEndian(b.Slice(at)), long.MaxValue);

    private static FdPassingException Refused(Target native, string program, int errno, string why) =>
        native.Error("execve", errno, $"starting '{program}': {why} (checked before the child is started)");
}
