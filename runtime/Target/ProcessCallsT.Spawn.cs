using System;
using System.Runtime.InteropServices;
using System.Text;

namespace FdPasser.Platform;

internal sealed unsafe partial class ProcessCalls<TAbi>
{
    public override bool SupportsSpawn =>
        TAbi.Has_posix_spawnp && TAbi.PosixSpawnattrSize > 0 && TAbi.PosixSpawnFileActionsSize > 0 && TAbi.SigsetSize > 0 &&
        TAbi.Has_F_DUPFD_CLOEXEC && TAbi.Has_waitid && TAbi.Has_waitpid && TAbi.Has_kill && TAbi.SiginfoSize > 0;

    // PosixSignal's members are marked unsupported on Windows, where this class is never chosen.
#pragma warning disable CA1416
    public override int SignalNumber(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGHUP => TAbi.SIGHUP,
        PosixSignal.SIGINT => TAbi.SIGINT,
        PosixSignal.SIGQUIT => TAbi.SIGQUIT,
        PosixSignal.SIGTERM => TAbi.SIGTERM,
        PosixSignal.SIGCONT => TAbi.SIGCONT,
        _ => 0,
    };
#pragma warning restore CA1416

    public override int Spawn(string path, string[] argv, string[] envp, ReadOnlySpan<(SafeHandle Handle, int Target)> layout, bool newSession, bool idle = false)
    {
        if (idle)
        {
            RequireSchedulingPolicy();
        }
        if (!SupportsSpawn)
        {
            throw Missing("posix_spawn with file actions, waitid and kill");
        }
        int top = 3;
        foreach (var (_, target) in layout)
        {
            top = Math.Max(top, target + 1);
        }
        // Each source is first copied above every target number, close-on-exec: a dup2 onto a target can then
        // never overwrite a source still to be moved, a source already at its target still gets close-on-exec
        // cleared (dup2 of a number onto itself would not), and no copy is ever inheritable in this process, so a
        // child another thread starts meanwhile inherits none of them.
        int[] copies = new int[layout.Length];
        copies.AsSpan().Fill(-1);
        var refs = new bool[layout.Length];
        nint fileActions = 0, attributes = 0, masks = 0;
        Utf8Strings? args = null, env = null;
        try
        {
            for (int i = 0; i < layout.Length; i++)
            {
                layout[i].Handle.DangerousAddRef(ref refs[i]);
                int source = (int)layout[i].Handle.DangerousGetHandle();
                copies[i] = TAbi.fcntl(source, TAbi.F_DUPFD_CLOEXEC, top);
                if (copies[i] < 0)
                {
                    throw Error("fcntl", LastErrno, $"copying descriptor {source} (for the child's {layout[i].Target}) above {top - 1}");
                }
            }
            fileActions = (nint)NativeMemory.AlignedAlloc((nuint)TAbi.PosixSpawnFileActionsSize, 16);
            attributes = (nint)NativeMemory.AlignedAlloc((nuint)TAbi.PosixSpawnattrSize, 16);
            masks = (nint)NativeMemory.AlignedAlloc((nuint)(2 * TAbi.SigsetSize), 16);
            Check(TAbi.posix_spawn_file_actions_init((void*)fileActions), "posix_spawn_file_actions_init", "preparing the child's descriptors");
            try
            {
                Check(TAbi.posix_spawnattr_init((void*)attributes), "posix_spawnattr_init", "preparing the child's attributes");
                try
                {
                    for (int i = 0; i < layout.Length; i++)
                    {
                        Check(TAbi.posix_spawn_file_actions_adddup2((void*)fileActions, copies[i], layout[i].Target),
                            "posix_spawn_file_actions_adddup2", $"placing descriptor {copies[i]} at {layout[i].Target}");
                    }
                    AddCloseFrom((void*)fileActions, top);
                    // The runtime ignores SIGPIPE and handles others; ignored dispositions and the mask survive
                    // exec, so the child starts with every signal at its default and none blocked.
                    void* empty = (void*)masks, all = (byte*)masks + TAbi.SigsetSize;
                    Check(TAbi.sigemptyset(empty) == 0 ? 0 : LastErrno, "sigemptyset", "building the child's signal mask");
                    // Every bit set, by hand: glibc's and musl's sigfillset leave out their own signals (32, 33, and
                    // 34 on musl), which their posix_spawn then leaves ignored in the child; set in this set, they are
                    // reset to the default like every other. Elsewhere sigfillset sets every bit as well.
                    new Span<byte>(all, TAbi.SigsetSize).Fill(0xff);
                    Check(TAbi.posix_spawnattr_setsigmask((void*)attributes, empty), "posix_spawnattr_setsigmask", "clearing the child's signal mask");
                    Check(TAbi.posix_spawnattr_setsigdefault((void*)attributes, all), "posix_spawnattr_setsigdefault", "resetting the child's signals");
                    int flags = TAbi.POSIX_SPAWN_SETSIGMASK | TAbi.POSIX_SPAWN_SETSIGDEF;
                    if (newSession)
                    {
                        if (!TAbi.Has_POSIX_SPAWN_SETSID)
                        {
                            throw Missing("POSIX_SPAWN_SETSID (a new session for the child)");
                        }
                        flags |= TAbi.POSIX_SPAWN_SETSID;
                    }
                    Check(TAbi.posix_spawnattr_setflags((void*)attributes, (short)flags), "posix_spawnattr_setflags", "setting the spawn flags");
                    args = new Utf8Strings(argv);
                    env = new Utf8Strings(envp);
                    int pid;
                    byte[] file = Encoding.UTF8.GetBytes(path + "\0");
                    fixed (byte* f = file)
                    {
                        Check(TAbi.posix_spawnp(&pid, f, (void*)fileActions, (void*)attributes, args.Pointer, env.Pointer),
                            "posix_spawnp", $"starting {path}");
                    }
                    if (idle)
                    {
                        IdleAfterSpawn(pid);
                    }
                    return pid;
                }
                finally
                {
                    TAbi.posix_spawnattr_destroy((void*)attributes);
                }
            }
            finally
            {
                TAbi.posix_spawn_file_actions_destroy((void*)fileActions);
            }
        }
        finally
        {
            args?.Dispose();
            env?.Dispose();
            NativeMemory.AlignedFree((void*)fileActions);
            NativeMemory.AlignedFree((void*)attributes);
            NativeMemory.AlignedFree((void*)masks);
            for (int i = 0; i < layout.Length; i++)
            {
                if (copies[i] >= 0)
                {
                    TAbi.close(copies[i]);
                }
                if (refs[i])
                {
                    layout[i].Handle.DangerousRelease();
                }
            }
        }
    }

    /// <summary>
    /// Also closes, in the child, what this process left inheritable, so the child gets exactly the layout. Where
    /// the C library lacks the call (glibc before 2.34, musl) only close-on-exec descriptors stay behind, which is
    /// every descriptor the runtime and this library open.
    /// </summary>
    private void AddCloseFrom(void* fileActions, int top)
    {
        if (!TAbi.Has_posix_spawn_file_actions_addclosefrom_np)
        {
            return;
        }
        try
        {
            Check(TAbi.posix_spawn_file_actions_addclosefrom_np(fileActions, top),
                "posix_spawn_file_actions_addclosefrom_np", $"closing every descriptor from {top} in the child");
        }
        catch (EntryPointNotFoundException)
        {
            // An older glibc than the ABI file describes: fall back to close-on-exec alone.
        }
    }

    /// <summary>posix_spawn and its helpers return the error number itself instead of setting errno.</summary>
    private void Check(int result, string call, string context)
    {
        if (result != 0)
        {
            throw Error(call, result, context);
        }
    }

    public override int WaitUntilEnded(int pid)
    {
        byte* info = stackalloc byte[TAbi.SiginfoSize];
        while (TAbi.waitid(TAbi.P_PID, pid, info, TAbi.WEXITED | TAbi.WNOWAIT) != 0)
        {
            int errno = LastErrno;
            if (errno != TAbi.EINTR)
            {
                return errno;
            }
        }
        return 0;
    }

    public override int TryReap(int pid, out int status, out int errno)
    {
        int s = 0;
        int r;
        do
        {
            r = TAbi.waitpid(pid, &s, TAbi.WNOHANG);
            errno = r < 0 ? LastErrno : 0;
        }
        while (r < 0 && errno == TAbi.EINTR);
        status = s;
        return r;
    }

    public override int Kill(int pid, int signal) => TAbi.kill(pid, signal) == 0 ? 0 : LastErrno;

    /// <summary>A NULL-terminated array of NUL-terminated UTF-8 strings in native memory (argv, envp).</summary>
    private sealed class Utf8Strings : IDisposable
    {
        private readonly nint[] _strings;

        public Utf8Strings(string[] values)
        {
            _strings = new nint[values.Length];
            Pointer = NativeMemory.AllocZeroed((nuint)((values.Length + 1) * sizeof(nint)));
            try
            {
                for (int i = 0; i < values.Length; i++)
                {
                    _strings[i] = Marshal.StringToCoTaskMemUTF8(values[i]);
                    ((nint*)Pointer)[i] = _strings[i];
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public void* Pointer { get; }

        public void Dispose()
        {
            foreach (nint s in _strings)
            {
                Marshal.FreeCoTaskMem(s);
            }
            NativeMemory.Free(Pointer);
        }
    }
}
