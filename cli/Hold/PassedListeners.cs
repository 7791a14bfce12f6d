using System;
using System.Globalization;
using FdPasser.Systemd;

namespace FdPasser.Cli.Hold;

/// <summary>
/// What fdpass hold's own service manager passed it at start (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES), taken at once
/// so none of it leaks into a generation: the variables are removed from the environment and every descriptor is
/// made close-on-exec, whether a <c>--listen NAME=inherited</c> takes it or not.
/// </summary>
internal sealed class PassedListeners : IDisposable
{
    private readonly string? _pid;
    private readonly string? _count;
    private readonly string? _error;

    private PassedListeners(string? pid, string? count, string? names, ListenDescriptors? descriptors, string? error)
    {
        _pid = pid;
        _count = count;
        Names = names;
        Descriptors = descriptors;
        _error = error;
    }

    /// <summary>The descriptors meant for this process; null where there were none or the variables were malformed.</summary>
    public ListenDescriptors? Descriptors { get; }

    /// <summary>LISTEN_FDNAMES as it was given.</summary>
    public string? Names { get; }

    public static PassedListeners Take()
    {
        string? pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        string? count = Environment.GetEnvironmentVariable("LISTEN_FDS");
        string? names = Environment.GetEnvironmentVariable("LISTEN_FDNAMES");
        try
        {
            ListenDescriptors d = ListenDescriptors.FromEnvironment(unsetEnvironment: true);
            return new PassedListeners(pid, count, names, d, null);
        }
        catch (Exception e) when (e is FormatException or FdPassingException)
        {
            return new PassedListeners(pid, count, names, null, OneLine.Of(e));
        }
    }

    /// <summary>Why no descriptor is named <paramref name="name"/>, naming the variable that is missing or wrong.</summary>
    public string Explain(string name)
    {
        if (_error is not null)
        {
            return $"the socket-activation variables are unusable: {_error}";
        }
        if (_pid is null)
        {
            return "fdpass hold was started without LISTEN_PID and LISTEN_FDS (not socket-activated): start it from a " +
                $".socket unit with FileDescriptorName={name}, or systemd-socket-activate --fdname={name}, or give tcp:HOST:PORT or unix:PATH";
        }
        if (_pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return $"LISTEN_PID={_pid} is not fdpass hold's pid {Environment.ProcessId}: the descriptors were meant for another process " +
                "(a wrapper that forked instead of exec'ing fdpass hold)";
        }
        if (_count is null)
        {
            return $"LISTEN_PID={_pid} is set but LISTEN_FDS is not";
        }
        return Names is null
            ? $"LISTEN_FDNAMES is not set (LISTEN_FDS={_count}), so no descriptor is named '{name}': set FileDescriptorName={name} in the .socket unit"
            : $"no descriptor is named '{name}' in LISTEN_FDNAMES={Names} (LISTEN_FDS={_count})";
    }

    /// <summary>Closes every descriptor no listener took.</summary>
    public void Dispose() => Descriptors?.Dispose();
}
