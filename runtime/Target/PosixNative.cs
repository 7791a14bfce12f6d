using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FdPasser.Processes;
using FdPasser.Interop;
using FdPasser.Protocol;
using FdPasser.Systemd;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Platform;

/// <summary>What one receive from a notification socket brought besides its bytes.</summary>
internal readonly struct NotificationControl
{
    public NotificationControl(int descriptors, PeerCredentials? sender, bool truncated, bool dataTruncated, int unexpected, int senderPidfd = NoPidfd, bool malformed = false)
    {
        Malformed = malformed;
        SenderPidfd = senderPidfd;
        Descriptors = descriptors;
        Sender = sender;
        ControlTruncated = truncated;
        DataTruncated = dataTruncated;
        UnexpectedMessages = unexpected;
    }

    public int Descriptors { get; }

    /// <summary>The SCM_CREDENTIALS the kernel attached; null where none came.</summary>
    public PeerCredentials? Sender { get; }

    public bool ControlTruncated { get; }

    public bool DataTruncated { get; }

    /// <summary>The control data held a length no kernel writes; what followed it was not read.</summary>
    public bool Malformed { get; }

    /// <summary>Control messages other than SCM_RIGHTS, SCM_CREDENTIALS and one SCM_PIDFD (their descriptors, if any, were closed).</summary>
    public int UnexpectedMessages { get; }

    /// <summary>No SCM_PIDFD came (the socket has no SO_PASSPIDFD).</summary>
    public const int NoPidfd = int.MinValue;

    /// <summary>
    /// The SCM_PIDFD as it came: a pidfd of the sender (installed in this process, and then in the caller's pidfd
    /// owner); a negative errno where the kernel could not make one (the sender had been reaped: kernels 6.5 to 6.15);
    /// <see cref="NoPidfd"/> where none came.
    /// </summary>
    public int SenderPidfd { get; }
}

/// <summary>
/// The native calls of the service-manager protocols, child processes and anonymous shared memory, implemented
/// once per target by <c>PosixNative&lt;TAbi&gt;</c> over the generated stubs. Methods throw
/// <see cref="FdPassingException"/> naming the call and errno, except those named Try…
/// </summary>
internal abstract class PosixNative
{
    /// <summary>The target's constants and errno values, as generated from its ABI file.</summary>
    public abstract PlatformConstants Constants { get; }

    public abstract string? ErrnoName(int errno);

    public FdPassingException Error(string syscall, int errno, string context) => new(syscall, errno, ErrnoName(errno), context);

    // Descriptors

    /// <summary>fcntl(F_SETFD, FD_CLOEXEC) on a descriptor number; returns 0 or the errno.</summary>
    public abstract int TrySetCloseOnExec(int fd);

    /// <summary>fcntl(F_GETFD) on a descriptor number: its descriptor flags, or -1 with the errno (EBADF: not open).</summary>
    public abstract int TryGetDescriptorFlags(int fd, out int errno);

    /// <summary>Whether descriptor flags from <see cref="TryGetDescriptorFlags"/> hold FD_CLOEXEC.</summary>
    public abstract bool IsCloseOnExec(int flags);

    /// <summary>What a descriptor is: fstat for its file type, getsockopt(SO_TYPE, SO_ACCEPTCONN) for a socket.</summary>
    public abstract DescriptorKind Describe(SafeHandle handle, out SocketType socketType, out bool listening);

    /// <summary>fstat's st_dev and st_ino: which file a descriptor refers to (equal for two descriptors of one file).</summary>
    public abstract (ulong Device, ulong Inode) Identify(SafeHandle handle);

    // Notifications

    public abstract bool SupportsCredentials { get; }

    public abstract SafeSocketHandle CreateDatagramSocket();

    /// <summary>setsockopt(SO_PASSCRED, 1): the kernel then attaches the sender's pid/uid/gid to every datagram.</summary>
    public abstract void EnablePassCredentials(SafeSocketHandle socket);

    /// <summary>setsockopt(SO_PASSPIDFD): true where every datagram now brings an SCM_PIDFD; false where the kernel (before 6.5) or target has no such option.</summary>
    public abstract bool TryEnablePassPidfd(SafeSocketHandle socket);

    /// <summary>The pid a pidfd names, from /proc/self/fdinfo ("Pid:"): -1 once the process has been reaped.</summary>
    public abstract int ReadPidfdPid(SafeHandle pidfd);

    /// <summary>
    /// One recvmsg(MSG_DONTWAIT): -1 with errno where none is waiting or the call failed. The SCM_RIGHTS descriptors go
    /// into <paramref name="descriptors"/> and the SCM_PIDFD into <paramref name="pidfd"/> as the control data is walked;
    /// the owners close what they have no room for (counted in <see cref="NotificationControl.UnexpectedMessages"/>).
    /// </summary>
    public abstract nint TryReceiveNotification(SafeHandle socket, Span<byte> data, ReceivedDescriptors descriptors, ReceivedDescriptors pidfd, out NotificationControl control, out int errno);

    /// <summary>CLOCK_MONOTONIC in microseconds, the clock systemd's MONOTONIC_USEC= is read against.</summary>
    public abstract long MonotonicMicroseconds();

    // Processes

    public abstract bool SupportsSpawn { get; }

    /// <summary>
    /// posix_spawn of <paramref name="path"/>: each (handle, target) of <paramref name="layout"/> appears at that
    /// number in the child, every other descriptor is closed where the target can say so; default signal
    /// dispositions and an empty mask. Returns the child's pid.
    /// </summary>
    public abstract int Spawn(string path, string[] argv, string[] envp, ReadOnlySpan<(SafeHandle Handle, int Target)> layout, bool newSession);

    /// <summary>True where this process can replace its own program (execve).</summary>
    public abstract bool SupportsExec { get; }

    /// <summary>
    /// execve of <paramref name="path"/> in this process (same pid, children and every descriptor without
    /// close-on-exec); returns only when it failed, with the errno.
    /// </summary>
    public abstract int Exec(string path, string[] argv, string[] envp);

    /// <summary>Clears FD_CLOEXEC, so the descriptor survives <see cref="Exec"/>; 0 or the errno.</summary>
    public abstract int TryClearCloseOnExec(int fd);

    /// <summary>Blocks until <paramref name="pid"/> has ended, without reaping it (waitid WNOWAIT); 0 or an errno.</summary>
    public abstract int WaitUntilEnded(int pid);

    /// <summary>waitpid(WNOHANG): the pid and its raw status, 0 while it runs, or -1 with errno.</summary>
    public abstract int TryReap(int pid, out int status, out int errno);

    /// <summary>kill(); 0 or the errno.</summary>
    public abstract int Kill(int pid, int signal);

    /// <summary>The target's number of a signal, or 0 where it cannot be sent here.</summary>
    public abstract int SignalNumber(PosixSignal signal);

    /// <summary>
    /// Sets this process's disposition of <paramref name="signal"/> to the default action (signal(SIG_DFL)) and
    /// says whether it was anything else, such as ignored by inheritance (nohup). The .NET runtime keeps an
    /// inherited SIG_IGN and installs no handler over it, so a PosixSignalRegistration for such a signal is never
    /// called unless this ran before the first registration for it.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The target's ABI file describes no signal() or SIG_DFL.</exception>
    public abstract bool ResetSignalToDefault(PosixSignal signal);

    /// <summary>
    /// A process's state and parent, where the kernel names the sender of a notification (<see cref="SupportsCredentials"/>);
    /// null where the process is gone (or hidden from this one).
    /// </summary>
    public abstract ProcessStatus? ReadProcessStatus(int pid);

    /// <summary>Every process this one can see, where <see cref="ReadProcessStatus"/> works.</summary>
    public abstract IReadOnlyList<int> ProcessIds();

    // Processes by pidfd, the child subreaper, open files compared (PosixNativeT.Pidfd.cs)

    /// <summary>pidfd_open(pid, 0): a descriptor that names this process and no later one with its number; null with errno (ESRCH gone, ENOSYS no such call).</summary>
    public abstract SafeFileHandle? TryOpenPidfd(int pid, out int errno);

    /// <summary>pidfd_send_signal(); 0 or the errno (ESRCH once the process has ended, even if its number was reused).</summary>
    public abstract int SignalPidfd(SafeHandle pidfd, int signal);

    /// <summary>poll() of a pidfd: true once its process has exited; false when <paramref name="timeoutMilliseconds"/> passed.</summary>
    public abstract bool WaitForPidfd(SafeHandle pidfd, int timeoutMilliseconds);

    /// <summary>kcmp(KCMP_FILE): 0 where both descriptors are one open file, 1-3 where not; -1 with errno (ENOSYS, EPERM, EBADF).</summary>
    public abstract int CompareOpenFiles(int pid1, int fd1, int pid2, int fd2, out int errno);

    /// <summary>prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants become this process's children; 0 or the errno.</summary>
    public abstract int SetChildSubreaper();

    // Anonymous shared memory

    public abstract bool HasMemfd { get; }

    public abstract SafeFileHandle CreateMemfd(string name, bool allowSealing);

    public abstract SafeFileHandle CreateUnlinkedSharedMemory(string name);

    public abstract void Truncate(SafeFileHandle handle, long length);

    /// <summary>Maps <see cref="MemorySeals"/> to the target's F_SEAL_* bits and back.</summary>
    public abstract int SealBits(MemorySeals seals);

    public abstract MemorySeals SealsFromBits(int bits);

    public abstract void AddSeals(SafeFileHandle handle, int bits);

    public abstract int GetSeals(SafeFileHandle handle);
}
