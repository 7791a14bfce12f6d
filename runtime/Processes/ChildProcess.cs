using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;

namespace FdPasser.Processes;

/// <summary>
/// A child process started with an exact descriptor layout, the way a service manager starts a service: the
/// passed descriptors at 3, 4, … with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID (the child's own pid), and
/// nothing else inherited. It is started with <c>posix_spawn</c>, so no descriptor is ever made inheritable in this
/// process, and a child another thread starts at the same moment gets none of them.
/// </summary>
/// <remarks>
/// The child is reaped by this object (one background thread waits for it), not by
/// <see cref="System.Diagnostics.Process"/>, whose SIGCHLD handling only collects the children it started itself.
/// </remarks>
public sealed class ChildProcess
{
    private readonly Target _native;
    private readonly TaskCompletionSource<ChildExitStatus> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private bool _reaped;

    private ChildProcess(Target native, int processId, string fileName)
    {
        _native = native;
        ProcessId = processId;
        FileName = fileName;
    }

    /// <summary>The child's process id (also its LISTEN_PID).</summary>
    public int ProcessId { get; }

    /// <summary>The program that was started, as found in PATH.</summary>
    public string FileName { get; }

    /// <summary>True once the child has ended and was reaped.</summary>
    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Completes with the child's exit status when it ends.</summary>
    public Task<ChildExitStatus> Exited => _exited.Task;

    /// <summary>
    /// Starts the child. Returns once it is running (the program was found and exec'd as far as the system reports);
    /// the descriptors of <see cref="ChildProcessOptions.PassedDescriptors"/> stay open in this process.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// An argument is null or holds a NUL character; an environment variable's name is empty or holds '=' or NUL,
    /// or its value holds NUL; <see cref="ChildProcessOptions.OpenFilesSoftLimit"/> is out of range.
    /// </exception>
    /// <exception cref="FileNotFoundException">The program is not in PATH or does not exist.</exception>
    /// <exception cref="FdPassingException">
    /// The system cannot run the program (call "execve": ENOEXEC for a file that is neither ELF for this machine nor a
    /// #! script, ENOENT for a missing #! interpreter or ELF loader, EACCES), checked before the child is started,
    /// so the same with or without passed descriptors; or posix_spawn or a step before it failed (call and errno named).
    /// </exception>
    public static ChildProcess Start(ChildProcessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ChildCommandLine.Validate(options);
        Target native = Target.Current;
        string path = ProgramPath.Resolve(options.FileName, options.Environment.TryGetValue("PATH", out string? p) ? p : null);
        ExecCheck.Verify(native, path);
        OpenFilesLimit.Validate(options.OpenFilesSoftLimit, 3 + options.PassedDescriptors.Count + options.ExtraDescriptors.Count);
        var layout = new List<(SafeHandle Handle, int Target)>();
        AddStandard(layout, options.StandardInput, 0);
        AddStandard(layout, options.StandardOutput, 1);
        AddStandard(layout, options.StandardError, 2);
        var env = new Dictionary<string, string?>(options.Environment, StringComparer.Ordinal);
        var passed = options.PassedDescriptors;
        if (passed.Count > 0)
        {
            for (int i = 0; i < passed.Count; i++)
            {
                layout.Add((passed[i].Handle, Systemd.ListenEnvironment.FirstDescriptor + i));
            }
            env["LISTEN_FDS"] = passed.Count.ToString(CultureInfo.InvariantCulture);
            var names = new string[passed.Count];
            for (int i = 0; i < names.Length; i++)
            {
                names[i] = passed[i].Name;
            }
            env["LISTEN_FDNAMES"] = string.Join(':', names);
        }
        var extra = options.ExtraDescriptors;
        for (int i = 0; i < extra.Count; i++)
        {
            int target = Systemd.ListenEnvironment.FirstDescriptor + passed.Count + i;
            layout.Add((extra[i].Handle, target));
            env[extra[i].Variable] = target.ToString(CultureInfo.InvariantCulture);
        }
        env.Remove("LISTEN_PID");
        var (argv, envp) = ChildCommandLine.Build(options, path, env, setListenPid: passed.Count > 0, out string spawned);
        int pid = native.Processes.Spawn(spawned, argv, envp, CollectionsMarshal.AsSpan(layout), options.NewSession, options.StartIdle);
        return Watch(new ChildProcess(native, pid, path));
    }

    /// <summary>
    /// A child this process has already (a program it replaced with execve started it): waited for and reaped
    /// as one it started. <paramref name="fileName"/> is only shown.
    /// </summary>
    internal static ChildProcess Adopt(int pid, string fileName) => Watch(new ChildProcess(Target.Current, pid, fileName));

    private static ChildProcess Watch(ChildProcess child)
    {
        var reaper = new Thread(child.Reap, maxStackSize: 256 * 1024)
        {
            IsBackground = true,
            Name = "child " + child.ProcessId.ToString(CultureInfo.InvariantCulture),
        };
        reaper.Start();
        return child;
    }

    private static void AddStandard(List<(SafeHandle, int)> layout, SafeHandle? handle, int target)
    {
        if (handle is not null)
        {
            layout.Add((handle, target));
        }
    }

    /// <summary>Waits for the child to end, then reaps it under the lock that <see cref="Signal"/> takes.</summary>
    private void Reap()
    {
        int errno = _native.Processes.WaitUntilEnded(ProcessId);
        lock (_gate)
        {
            // Until this waitpid the ended child is a zombie, so its pid cannot be reused: a signal sent under the
            // lock before it reaches the child or nothing, never a stranger that was given the same pid.
            int r = _native.Processes.TryReap(ProcessId, out int status, out _);
            _reaped = true;
            _exited.TrySetResult(errno == 0 && r == ProcessId ? ChildExitStatus.FromWaitStatus(status) : new ChildExitStatus(-1, 0, IsKnown: false));
        }
    }

    /// <summary>Sends <paramref name="signal"/> (SIGTERM, SIGHUP, SIGINT, SIGQUIT or SIGCONT); false where the child has already ended.</summary>
    /// <exception cref="ArgumentException">The signal cannot be sent through this call.</exception>
    public bool Signal(PosixSignal signal)
    {
        int number = _native.Processes.SignalNumber(signal);
        if (number == 0)
        {
            throw new ArgumentException($"{signal} cannot be sent to a child; use SIGTERM, SIGHUP, SIGINT, SIGQUIT or SIGCONT, or Kill().", nameof(signal));
        }
        return Send(number, signal.ToString());
    }

    /// <summary>Sends SIGKILL; false where the child has already ended.</summary>
    public bool Kill() => Send(_native.Constants.SIGKILL, "SIGKILL");

    private bool Send(int number, string name)
    {
        lock (_gate)
        {
            if (_reaped)
            {
                return false;
            }
            int errno = _native.Processes.Kill(ProcessId, number);
            if (errno != 0)
            {
                throw _native.Error("kill", errno, $"sending {name} to child {ProcessId} ({FileName})");
            }
            return true;
        }
    }

    /// <summary>Waits for the child to end.</summary>
    /// <exception cref="OperationCanceledException">Cancelled first; the child keeps running.</exception>
    public Task<ChildExitStatus> WaitForExitAsync(CancellationToken cancellationToken = default) =>
        _exited.Task.WaitAsync(cancellationToken);

    /// <summary>Waits up to <paramref name="timeout"/> for the child to end; true where it did.</summary>
    public bool WaitForExit(TimeSpan timeout) => _exited.Task.Wait(timeout);

    /// <inheritdoc />
    public override string ToString() => $"{FileName} (pid {ProcessId}{(HasExited ? ", " + _exited.Task.Result : "")})";
}
