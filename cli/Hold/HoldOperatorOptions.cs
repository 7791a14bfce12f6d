using System;
using System.Globalization;
using System.Runtime.InteropServices;
using FdPasser.Cli.CommandLine;
using FdPasser.Cli.Commands;

namespace FdPasser.Cli.Hold;

/// <summary>How fdpass hold tells that a generation is ready.</summary>
internal enum ReadyMode
{
    /// <summary>The generation says READY=1 (systemd's Type=notify).</summary>
    Notify,

    /// <summary>A process of the generation waits on every listener it was given (see <see cref="ListenerProbe"/>).</summary>
    Listening,
}

/// <summary>
/// The options of <c>fdpass hold</c> for deploy scripts and servers without the notify protocol: <c>--wait</c>,
/// <c>--timeout</c>, <c>--ready</c>, <c>--stop-signal</c>, <c>--start-limit-burst</c>, <c>--start-limit-interval</c>.
/// </summary>
internal static class HoldOperatorOptions
{
    public static readonly string[] Valued = ["--timeout", "--ready", "--stop-signal", "--start-limit-burst", "--start-limit-interval"];

    public static readonly string[] Flags = ["--wait"];

    /// <summary>The signals --stop-signal takes: those the runtime can name on every Unix it runs on.</summary>
    private static readonly PosixSignal[] StopSignals = [PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT, PosixSignal.SIGHUP];

    /// <summary>The control request of <c>--reload [--wait [--timeout S]]</c>: <c>reload</c>, <c>reload wait</c> or <c>reload wait S</c>.</summary>
    public static string ReloadRequest(ArgumentReader a)
    {
        TimeSpan? timeout = a.Single("--timeout") is null ? null : HoldCommand.Seconds(a, "--timeout", 0, allowZero: false);
        if (!a.Has("--wait"))
        {
            return timeout is null ? "reload" : throw a.Usage("--timeout goes with --reload --wait");
        }
        return timeout is { } t ? "reload wait " + t.TotalSeconds.ToString(CultureInfo.InvariantCulture) : "reload wait";
    }

    /// <summary>--wait and --timeout belong to --reload; a holder refuses them.</summary>
    public static void RefuseClientOnly(ArgumentReader a)
    {
        if (a.Has("--wait") || a.Single("--timeout") is not null)
        {
            throw a.Usage($"{(a.Has("--wait") ? "--wait" : "--timeout")} goes with --reload");
        }
    }

    public static ReadyMode ReadyMode(ArgumentReader a) => a.Single("--ready") switch
    {
        null or "notify" => Hold.ReadyMode.Notify,
        "listening" when !ListenerProbe.Available => throw a.Usage("--ready listening reads /proc/PID/fdinfo, which this system does not have"),
        "listening" => Hold.ReadyMode.Listening,
        { } other => throw a.Usage($"--ready '{other}' is not notify or listening"),
    };

    public static PosixSignal StopSignal(ArgumentReader a)
    {
        string? text = a.Single("--stop-signal");
        if (text is null)
        {
            return PosixSignal.SIGTERM;
        }
        string name = text.StartsWith("SIG", StringComparison.Ordinal) ? text : "SIG" + text;
        foreach (PosixSignal s in StopSignals)
        {
            if (s.ToString() == name)
            {
                return s;
            }
        }
        throw a.Usage($"--stop-signal '{text}' is not one of SIGTERM, SIGINT, SIGQUIT, SIGHUP");
    }

    /// <summary>The stop signal's name and what readiness is for the log, and systemd's StartLimitBurst= and StartLimitIntervalSec= (the interval needs the burst).</summary>
    public static HoldTimings Timings(ArgumentReader a, HoldTimings timings)
    {
        timings = timings with
        {
            StopSignalName = StopSignal(a).ToString(),
            WaitingFor = ReadyMode(a) == Hold.ReadyMode.Listening ? "it to wait on every listener (--ready listening)" : "READY=1",
        };
        string? burst = a.Single("--start-limit-burst");
        TimeSpan? interval = a.Single("--start-limit-interval") is null ? null : HoldCommand.Seconds(a, "--start-limit-interval", 0, allowZero: false);
        if (burst is null && interval is null)
        {
            return timings;
        }
        if (burst is null || !int.TryParse(burst, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > 1000)
        {
            throw a.Usage(burst is null ? "--start-limit-interval needs --start-limit-burst" : $"--start-limit-burst '{burst}' is not a number from 1 to 1000");
        }
        return timings with { StartLimitBurst = n, StartLimitInterval = interval ?? TimeSpan.FromSeconds(10) };
    }
}
