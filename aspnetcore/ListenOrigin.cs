using System.Globalization;

namespace FdPasser.AspNetCore;

/// <summary>Whom LISTEN_PID named when this process started: decides between listening, falling back and refusing.</summary>
internal enum ListenOrigin
{
    /// <summary>No LISTEN_PID or LISTEN_FDS: no service manager started this process (<c>dotnet run</c>, F5).</summary>
    NoManager,

    /// <summary>This process (or its launcher parent, accepted by <see cref="ServiceManagerOptions.AcceptParentListenPid"/>).</summary>
    ThisProcess,

    /// <summary>The parent process, not accepted: a launcher such as <c>dotnet run</c> under a manager.</summary>
    ParentProcess,

    /// <summary>Another process: variables inherited from further up, not meant for this one (as sd_listen_fds ignores them).</summary>
    OtherProcess,
}

/// <summary>Classifies the socket-activation variables as they were at start, with no I/O.</summary>
internal static class ListenOrigins
{
    public static ListenOrigin Of(string? listenPid, string? listenFds, int processId, int? parentId)
    {
        if (listenPid is null || listenFds is null)
        {
            return ListenOrigin.NoManager;
        }
        if (listenPid == processId.ToString(CultureInfo.InvariantCulture))
        {
            return ListenOrigin.ThisProcess;
        }
        return parentId is int parent && listenPid == parent.ToString(CultureInfo.InvariantCulture)
            ? ListenOrigin.ParentProcess
            : ListenOrigin.OtherProcess;
    }
}
