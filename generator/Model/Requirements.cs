using System;
using System.Collections.Generic;
using FdPasser.Generator.Model;

// The emitters read this contract under this namespace; it lives beside the model it constrains.
namespace FdPasser.Generator.Validation;

/// <summary>A native function as the runtime sees it on every target: C# parameter types and return type.</summary>
internal sealed class CanonicalFunction
{
    public CanonicalFunction(string name, string returnType, params string[] parameterTypes)
    {
        Name = name;
        ReturnType = returnType;
        ParameterTypes = parameterTypes;
    }

    public string Name { get; }

    public string ReturnType { get; }

    public string[] ParameterTypes { get; }

    public bool ReturnsVoid => ReturnType == "void";

    /// <summary>Whether the runtime passes parameter <paramref name="index"/> as a pointer rather than a number.</summary>
    public bool IsPointerParameter(int index) => ParameterTypes[index].EndsWith("*", StringComparison.Ordinal);
}

/// <summary>A struct the emitted bindings read, and the fields they read or write.</summary>
internal sealed class RequiredStruct
{
    public RequiredStruct(string name, params string[] fields)
    {
        Name = name;
        Fields = fields;
    }

    public string Name { get; }

    public string[] Fields { get; }
}

/// <summary>
/// What a way of reading peer credentials needs beyond what every target declares: a struct, constants that must
/// have a value, and functions.
/// </summary>
internal sealed class PeerCredRequirements
{
    public PeerCredRequirements(RequiredStruct? @struct, string[] constants, string[] functions)
    {
        Struct = @struct;
        Constants = constants;
        Functions = functions;
    }

    public RequiredStruct? Struct { get; }

    public string[] Constants { get; }

    public string[] Functions { get; }
}

/// <summary>
/// What an ABI file must (and may) declare; the words its header lines may use are <see cref="Vocabulary"/>. The runtime contract emitted by <c>ContractEmitter</c> is built from
/// these lists, so a file that passes validation always satisfies it.
/// </summary>
internal static class Requirements
{
    /// <summary>The structs the emitted bindings read on every target.</summary>
    public static readonly RequiredStruct[] Structs =
    {
        new("iovec", "iov_base", "iov_len"),
        new("msghdr", "msg_name", "msg_namelen", "msg_iov", "msg_iovlen", "msg_control", "msg_controllen", "msg_flags"),
        new("cmsghdr", "cmsg_len", "cmsg_level", "cmsg_type"),
        new("sockaddr_un", "sun_family", "sun_path"),
        new("pollfd", "fd", "events", "revents"),
        new("stat", "st_dev", "st_ino", "st_mode", "st_uid"),
        new("passwd", "pw_uid"),
    };

    /// <summary>openat2()'s argument (Linux 5.6+): read where a file declares it with SYS_openat2 and syscall.</summary>
    public static readonly RequiredStruct OpenHow = new("open_how", "flags", "mode", "resolve");

    /// <summary><see cref="OpenHow"/> as a name and its fields, the shape <c>BindingEmitter</c> reads.</summary>
    public static readonly KeyValuePair<string, string[]> OpenHowStruct = new(OpenHow.Name, OpenHow.Fields);

    public static readonly Dictionary<PeerCredMethod, PeerCredRequirements> PeerCred = new()
    {
        [PeerCredMethod.SoPeercred] = new(new RequiredStruct("ucred", "pid", "uid", "gid"), new[] { "SO_PEERCRED" }, new string[0]),
        [PeerCredMethod.LocalPeercred] = new(
            new RequiredStruct("xucred", "cr_version", "cr_uid", "cr_groups"), new[] { "SOL_LOCAL", "LOCAL_PEERCRED" }, new string[0]),
        [PeerCredMethod.Getpeerucred] = new(
            null, new string[0], new[] { "getpeerucred", "ucred_geteuid", "ucred_getegid", "ucred_getpid", "ucred_free" }),
    };

    public static readonly RequiredStruct[] StreamsStructs =
    {
        new("strrecvfd", "fd", "uid", "gid"),
        new("strbuf", "maxlen", "len", "buf"),
    };

    /// <summary>Constants every file declares (a value, or <c>none</c>).</summary>
    public static readonly string[] Constants =
    {
        "AF_UNIX", "SOCK_STREAM", "SOCK_CLOEXEC", "SOCK_NONBLOCK", "SOL_SOCKET", "SCM_RIGHTS", "SO_TYPE", "SO_ERROR",
        "SO_PEERCRED", "SOMAXCONN", "MSG_PEEK", "MSG_CTRUNC", "MSG_TRUNC", "MSG_DONTWAIT", "MSG_NOSIGNAL",
        "MSG_CMSG_CLOEXEC", "SHUT_WR", "F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL", "FD_CLOEXEC", "O_RDONLY",
        "O_WRONLY", "O_RDWR", "O_ACCMODE", "O_CREAT", "O_EXCL", "O_TRUNC", "O_APPEND", "O_NONBLOCK", "O_DIRECTORY",
        "O_NOFOLLOW", "O_CLOEXEC", "S_IFMT", "S_IFSOCK", "S_IFDIR", "S_IFREG", "S_IFLNK", "POLLIN", "POLLOUT", "POLLERR", "POLLHUP", "POLLNVAL",
        "AT_FDCWD", "AT_SYMLINK_NOFOLLOW",
    };

    /// <summary>Constants that must have a value (not <c>none</c>) on every target.</summary>
    public static readonly HashSet<string> ConstantsWithValue = new()
    {
        "AF_UNIX", "SOCK_STREAM", "SOL_SOCKET", "SCM_RIGHTS", "SOMAXCONN", "MSG_CTRUNC", "MSG_DONTWAIT", "F_GETFD",
        "F_SETFD", "F_GETFL", "F_SETFL", "FD_CLOEXEC", "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE", "O_CREAT",
        "O_TRUNC", "O_APPEND", "O_NONBLOCK", "O_NOFOLLOW", "O_CLOEXEC", "S_IFMT", "S_IFSOCK", "S_IFDIR", "S_IFREG", "S_IFLNK",
        "POLLIN", "POLLOUT", "AT_FDCWD", "AT_SYMLINK_NOFOLLOW",
    };

    /// <summary>Constants the contract exposes where present, 0 with <c>Has_X</c> false elsewhere.</summary>
    public static readonly string[] OptionalConstants =
    {
        "SOCK_DGRAM", "SOCK_SEQPACKET", "SOL_LOCAL", "LOCAL_PEERCRED", "LOCAL_PEERPID",
        "I_PUSH", "I_STR", "I_SENDFD", "I_RECVFD", "RS_HIPRI", "MSG_ANY", "MSG_BAND", "MSG_HIPRI",
        // Service-manager protocols, child processes and anonymous shared memory (runtime/Systemd, Processes, SharedMemory).
        "SO_PASSCRED", "SCM_CREDENTIALS", "SO_ACCEPTCONN", "F_DUPFD_CLOEXEC", "S_IFIFO", "S_IFCHR",
        "POSIX_SPAWN_SETPGROUP", "POSIX_SPAWN_SETSIGDEF", "POSIX_SPAWN_SETSIGMASK", "POSIX_SPAWN_SETSID",
        "WNOHANG", "WEXITED", "WNOWAIT", "P_PID", "SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGTERM", "SIGCONT", "SIG_DFL", "CLOCK_MONOTONIC",
        "MFD_CLOEXEC", "MFD_ALLOW_SEALING", "F_ADD_SEALS", "F_GET_SEALS", "F_SEAL_SEAL", "F_SEAL_SHRINK", "F_SEAL_GROW", "F_SEAL_WRITE",
        // Opening beneath a directory without following links (fdpass serve).
        "O_PATH", "O_NOCTTY", "SYS_openat2", "RESOLVE_BENEATH", "RESOLVE_NO_SYMLINKS", "RESOLVE_NO_MAGICLINKS",
        // fdpass hold's listeners: SO_REUSEADDR without SO_REUSEPORT.
        "SO_REUSEADDR",
        // Processes held by pidfd, the child subreaper, open files compared (fdpass hold).
        "SYS_pidfd_open", "SYS_pidfd_send_signal", "SYS_kcmp", "KCMP_FILE", "PR_SET_CHILD_SUBREAPER",
        // Notification senders by pidfd (Linux 6.5): NotificationListener, fdpass hold.
        "SO_PASSPIDFD", "SO_PEERPIDFD", "SCM_PIDFD",
        // A starting generation under SCHED_IDLE until it is ready (fdpass hold --start-priority idle).
        "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_IDLE",
        "SYS_sched_setscheduler", "SYS_sched_getscheduler",
        // This process's open-files limit (getrlimit): fdpass serve's connection limit, hold's start limits.
        "RLIMIT_NOFILE",
    };

    /// <summary>
    /// Paths every file declares (an absolute path, or <c>none</c> where the target has no such file): the kernel's
    /// process table as files (proc(5)). <c>{pid}</c> stands for a process id (or <c>self</c>), <c>{fd}</c> for a
    /// descriptor number; no other placeholder is allowed.
    /// </summary>
    public static readonly string[] Paths =
    {
        "PROC_ROOT", "PROC_PID_STAT", "PROC_PID_LIMITS", "PROC_PID_ENVIRON", "PROC_PID_FD", "PROC_PID_FDINFO", "PROC_BINFMT_MISC",
        "PROC_PID_TASK",
    };

    /// <summary>The placeholders a path may hold.</summary>
    public static readonly string[] PathPlaceholders = { "{pid}", "{fd}" };

    /// <summary>struct rlimit (getrlimit): read where a file declares it with getrlimit and RLIMIT_NOFILE.</summary>
    public static readonly RequiredStruct Rlimit = new("rlimit", "rlim_cur", "rlim_max");

    /// <summary>struct sched_param: required where a file declares sched_setscheduler or SYS_sched_setscheduler.</summary>
    public static readonly RequiredStruct SchedParam = new("sched_param", "sched_priority");

    public static readonly string[] StreamsConstants = { "I_PUSH", "I_SENDFD", "I_RECVFD" };

    /// <summary>Errno values the runtime names; every file declares them.</summary>
    public static readonly string[] Errnos =
    {
        "EPERM", "ENOENT", "EINTR", "ENXIO", "EBADF", "EAGAIN", "ENOMEM", "EACCES", "EEXIST", "ENOTDIR", "EISDIR",
        "EINVAL", "ENFILE", "EMFILE", "EPIPE", "ENAMETOOLONG", "ELOOP", "EMSGSIZE", "ENOTSOCK", "EOPNOTSUPP",
        "EADDRINUSE", "ECONNRESET", "ENOBUFS", "ENOTCONN", "ECONNREFUSED", "EINPROGRESS",
        "ENOSYS", "EXDEV", "ERANGE",
        "E2BIG", "ENOEXEC", "EBUSY", "EPROTOTYPE",
    };

    /// <summary>Errno values exposed where present (<c>-1</c> elsewhere, which no syscall reports).</summary>
    public static readonly string[] OptionalErrnos = { "ENOSTR", "EPROTO", "EBADMSG", "ETOOMANYREFS", "ECHILD", "ESRCH", "ENOPROTOOPT" };

    public static readonly CanonicalFunction[] Functions =
    {
        new("socket", "int", "int", "int", "int"),
        new("socketpair", "int", "int", "int", "int", "int*"),
        new("bind", "int", "int", "void*", "uint"),
        new("listen", "int", "int", "int"),
        new("accept", "int", "int", "void*", "uint*"),
        new("connect", "int", "int", "void*", "uint"),
        new("sendmsg", "nint", "int", "void*", "int"),
        new("recvmsg", "nint", "int", "void*", "int"),
        new("getsockopt", "int", "int", "int", "int", "void*", "uint*"),
        new("shutdown", "int", "int", "int"),
        new("close", "int", "int"),
        new("fcntl", "int", "int", "int", "int"),
        new("read", "nint", "int", "void*", "nuint"),
        new("write", "nint", "int", "void*", "nuint"),
        new("open", "int", "byte*", "int", "uint"),
        new("unlink", "int", "byte*"),
        new("lstat", "int", "byte*", "void*"),
        new("fchmodat", "int", "int", "byte*", "uint", "int"),
        new("poll", "int", "void*", "nuint", "int"),
        // Opening beneath a directory, typing what was opened, resolving user names (fdpass serve).
        new("openat", "int", "int", "byte*", "int", "uint"),
        new("fstat", "int", "int", "void*"),
        new("getpwnam_r", "int", "byte*", "void*", "byte*", "nuint", "void*"),
    };

    public static readonly CanonicalFunction[] OptionalFunctions =
    {
        new("accept4", "int", "int", "void*", "uint*", "int"),
        new("getpeereid", "int", "int", "uint*", "uint*"),
        new("getpeerucred", "int", "int", "void*"),
        new("ucred_geteuid", "uint", "void*"),
        new("ucred_getegid", "uint", "void*"),
        new("ucred_getpid", "int", "void*"),
        new("ucred_free", "void", "void*"),
        new("pipe", "int", "int*"),
        new("ioctl", "int", "int", "int", "void*"),
        new("isastream", "int", "int"),
        new("getmsg", "int", "int", "void*", "void*", "int*"),
        new("putmsg", "int", "int", "void*", "void*", "int"),
        new("fattach", "int", "int", "byte*"),
        new("fdetach", "int", "byte*"),
        // Service-manager protocols, child processes and anonymous shared memory.
        new("setsockopt", "int", "int", "int", "int", "void*", "uint"),
        new("ftruncate", "int", "int", "long"),
        new("clock_gettime", "int", "int", "void*"),
        new("posix_spawnp", "int", "int*", "byte*", "void*", "void*", "void*", "void*"),
        new("posix_spawn_file_actions_init", "int", "void*"),
        new("posix_spawn_file_actions_destroy", "int", "void*"),
        new("posix_spawn_file_actions_adddup2", "int", "void*", "int", "int"),
        new("posix_spawn_file_actions_addclosefrom_np", "int", "void*", "int"),
        new("posix_spawnattr_init", "int", "void*"),
        new("posix_spawnattr_destroy", "int", "void*"),
        new("posix_spawnattr_setflags", "int", "void*", "short"),
        new("posix_spawnattr_setsigmask", "int", "void*", "void*"),
        new("posix_spawnattr_setsigdefault", "int", "void*", "void*"),
        new("sigemptyset", "int", "void*"),
        new("sigfillset", "int", "void*"),
        new("waitpid", "int", "int", "int*", "int"),
        new("kill", "int", "int", "int"),
        new("signal", "nint", "int", "nint"),
        new("waitid", "int", "int", "int", "void*", "int"),
        new("memfd_create", "int", "byte*", "uint"),
        new("shm_open", "int", "byte*", "int", "uint"),
        new("shm_unlink", "int", "byte*"),
        // fdpass hold --upgrade: execve of its own (new) program, keeping its pid.
        new("execve", "int", "byte*", "void*", "void*"),
        // syscall(SYS_openat2, dirfd, path, &how, sizeof how): no C library here exports openat2 itself.
        new("syscall", "nint", "nint", "nint", "byte*", "void*", "nuint"),
        // syscall(SYS_pidfd_open / SYS_pidfd_send_signal / SYS_kcmp, ...): five numbers, the unused ones 0 (fdpass hold).
        new("syscall_args", "nint", "nint", "nint", "nint", "nint", "nint", "nint"),
        new("prctl", "int", "int", "nuint", "nuint", "nuint", "nuint"),
        // This process's parent and open-files limit (fdpass hold, fdpass serve).
        new("getppid", "int"),
        new("getrlimit", "int", "int", "void*"),
        // A starting generation under SCHED_IDLE until it is ready (fdpass hold --start-priority idle).
        new("sched_setscheduler", "int", "int", "int", "void*"),
        new("sched_getscheduler", "int", "int"),
    };

    public static readonly string[] StreamsFunctions = { "pipe", "ioctl", "isastream", "getmsg", "putmsg", "fattach", "fdetach" };

    /// <summary>The C# spelling of a primitive ABI type or <c>void</c>; null for a struct name.</summary>
    public static string? CSharpPrimitive(string name) =>
        name == TypeRef.Void.Name ? "void" : Vocabulary.PrimitiveNamed(name)?.CSharp;
}
