using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;
using FdPasser.Processes;
using FdPasser.Systemd;
using Microsoft.Win32.SafeHandles;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// <c>fdpass hold --upgrade [PATH]</c>: fdpass hold executes its new program in its own process (execve: the pid
/// stays, so the generations stay its children and its manager's MAINPID stays right), handing over the
/// listeners, the notification socket and the store as descriptors, and the generations in a state memory file
/// (<see cref="UpgradeState"/>). Only those descriptors lose close-on-exec, and only for the execve. Where it
/// fails, fdpass hold goes on as it was and says why.
/// </summary>
internal sealed partial class HoldRunner
{
    private CancellationTokenSource? _notifyStop;
    private Task? _notifyTask;
    private bool _upgrading;

    private Task StartReceivingNotifications()
    {
        _notifyStop?.Dispose(); // cancelled, and its task ended, before a failed upgrade starts receiving again
        _notifyStop = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        _notifyTask = ReceiveNotificationsAsync(_notifyStop.Token);
        return _notifyTask;
    }

    /// <summary>Answers a control request <c>upgrade [PATH]</c>; returns only where the upgrade did not happen.</summary>
    private string Upgrade(string request, PeerCredentials peer)
    {
        string? path = request.Length > "upgrade ".Length ? request.Substring("upgrade ".Length) : null;
        if (_upgrading)
        {
            return "upgrade refused: an upgrade is under way\n";
        }
        if (Unupgradable() is { } why)
        {
            return $"upgrade refused: {why}; ask again once it has settled\n";
        }
        (string program, string[] argv) = ExecLine(path);
        if (!File.Exists(program))
        {
            return $"upgrade refused: no program at '{program}'\n";
        }
        _upgrading = true;
        try
        {
            _log.Write($"upgrade asked for by pid {peer.ProcessId}: executing {program} in this process (pid {Environment.ProcessId})");
            // Nothing received may be left half-handled: no notification is taken off the socket from now on (the
            // next program reads what queues there), and everything already taken is handled first.
            _notifyStop!.Cancel();
            _notifyTask!.Wait(TimeSpan.FromSeconds(5));
            while (_inbox.TryTake(out Action? work))
            {
                work();
            }
            string failure = Unupgradable() is { } late ? late : Exec(program, argv);
            StartReceivingNotifications();
            _log.Write($"upgrade failed: {failure}; fdpass hold goes on as it was");
            return $"upgrade failed: {failure}; fdpass hold (pid {Environment.ProcessId}) goes on as it was\n";
        }
        finally
        {
            _upgrading = false;
        }
    }

    private string? Unupgradable() =>
        !CliTarget.Current.Processes.SupportsExec ? "this system's ABI description has no execve"
        : !CliTarget.Current.Memory.HasMemfd ? "this system has no memfd_create for the state"
        : _machine.Unsettled;

    /// <summary>The program and argv to execute: the same command line, run by the program at PATH (default: the one running).</summary>
    private static (string Program, string[] Argv) ExecLine(string? path)
    {
        string[] args = Environment.GetCommandLineArgs(); // [0] is this program (its .dll when run by the dotnet host)
        string host = Environment.ProcessPath ?? args[0];
        var argv = new List<string>();
        string program;
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.Ordinal) &&
            (path is null || path.EndsWith(".dll", StringComparison.Ordinal)))
        {
            program = host;
            argv.Add(host);
            argv.Add(path ?? args[0]);
        }
        else
        {
            program = path ?? host;
            argv.Add(program);
        }
        argv.AddRange(args.Skip(1));
        return (program, argv.ToArray());
    }

    /// <summary>Writes the state, lets exactly its descriptors through, and executes; returns why it failed.</summary>
    private string Exec(string program, string[] argv)
    {
        CliTarget native = CliTarget.Current;
        DateTime now = DateTime.UtcNow;
        var state = new UpgradeState
        {
            Pid = Environment.ProcessId,
            LastGeneration = _machine.LastNumber,
            NotifyFd = Number(_notify!.SafeHandle),
            NotifyAddress = _notify.Address,
            OuterReady = _outerToldReady,
        };
        state.Listeners.AddRange(_listeners.Select(l => new UpgradeListener(Number(l.Socket.SafeHandle), l.Spec.Name, l.CreatedPath)));
        state.Stored.AddRange(_store.Entries.Select(e => new UpgradeStored(Number(e.Handle), e.Name, e.Identity.Device, e.Identity.Inode, e.FromPid)));
        state.Generations.AddRange(_machine.Generations);
        byte[] text = Encoding.UTF8.GetBytes(state.Format(now));
        SafeFileHandle memfd;
        try
        {
            memfd = native.Memory.CreateMemfd("fdpass-hold-state", allowSealing: false);
        }
        catch (FdPassingException e)
        {
            return "creating the state memory file: " + OneLine.Of(e);
        }
        using (memfd)
        {
            RandomAccess.Write(memfd, text, 0);
            int stateFd = Number(memfd);
            var cleared = new List<int>();
            try
            {
                foreach (int fd in state.Descriptors().Append(stateFd))
                {
                    if (native.Processes.TryClearCloseOnExec(fd) is int errno and not 0)
                    {
                        return $"fcntl(F_SETFD) on descriptor {fd} failed: {native.ErrnoName(errno) ?? errno.ToString(CultureInfo.InvariantCulture)}";
                    }
                    cleared.Add(fd);
                }
                var env = new List<string>();
                foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
                {
                    string key = (string)e.Key;
                    if (key != UpgradeState.Variable && key != "NOTIFY_SOCKET")
                    {
                        env.Add(key + "=" + (string?)e.Value);
                    }
                }
                env.Add(UpgradeState.Variable + "=" + stateFd.ToString(CultureInfo.InvariantCulture));
                if (_outer.SocketAddress is { } outer)
                {
                    env.Add("NOTIFY_SOCKET=" + outer); // the next program is the same service to the same manager
                }
                _log.Write($"handing over {state.Listeners.Count} listener(s), {state.Stored.Count} stored descriptor(s) and {state.Generations.Count} generation(s) to {program}");
                Console.Out.Flush();
                int failed = native.Processes.Exec(program, argv, env.ToArray());
                return $"execve({program}) failed: {native.ErrnoName(failed) ?? failed.ToString(CultureInfo.InvariantCulture)}";
            }
            finally
            {
                foreach (int fd in cleared)
                {
                    native.Files.TrySetCloseOnExec(fd);
                }
            }
        }
    }

    private static int Number(System.Runtime.InteropServices.SafeHandle handle) => (int)handle.DangerousGetHandle();

    /// <summary>
    /// In the program an upgrade executed: takes up the state and every descriptor it names, checking each is what
    /// the state says (the notification socket a datagram socket, each listener a listening socket under a
    /// <c>--listen</c> name, each stored descriptor the file it was stored as). False where this is no upgrade.
    /// </summary>
    /// <exception cref="IOException">The state or a descriptor is not what it should be; nothing is kept.</exception>
    private bool ResumeAfterUpgrade()
    {
        string? variable = Environment.GetEnvironmentVariable(UpgradeState.Variable);
        if (variable is null)
        {
            return false;
        }
        Environment.SetEnvironmentVariable(UpgradeState.Variable, null);
        CliTarget native = CliTarget.Current;
        if (!int.TryParse(variable, NumberStyles.None, CultureInfo.InvariantCulture, out int stateFd) || stateFd < 3)
        {
            throw new IOException($"{UpgradeState.Variable}='{variable}' is not a descriptor number");
        }
        UpgradeState state;
        try
        {
            state = UpgradeState.Parse(ReadState(native, stateFd), DateTime.UtcNow);
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            throw new IOException($"the state handed over by fdpass hold --upgrade is unusable: {e.Message}", e);
        }
        if (state.Pid != Environment.ProcessId)
        {
            throw new IOException($"the state handed over was written by pid {state.Pid}, not this process ({Environment.ProcessId})");
        }
        var owned = new List<SafeFileHandle>();
        try
        {
            foreach (int fd in state.Descriptors())
            {
                if (native.Files.TrySetCloseOnExec(fd) is int errno and not 0)
                {
                    throw native.Error("fcntl", errno, $"taking descriptor {fd} named by the handed-over state");
                }
                owned.Add(new SafeFileHandle(fd, ownsHandle: true));
            }
            SafeFileHandle Owned(int fd) => owned.First(h => Number(h) == fd);

            Expect(native, Owned(state.NotifyFd), SocketType.Dgram, listening: false, "the notification socket");
            var names = new HashSet<string>(_options.Listeners.Select(l => l.Name), StringComparer.Ordinal);
            var handed = new HashSet<string>(state.Listeners.Select(l => l.Name), StringComparer.Ordinal);
            if (!names.SetEquals(handed) || handed.Count != state.Listeners.Count)
            {
                throw new IOException($"the listeners handed over ({string.Join(", ", state.Listeners.Select(l => l.Name))}) are not this command line's --listen ({string.Join(", ", names)})");
            }
            foreach (UpgradeListener l in state.Listeners)
            {
                Expect(native, Owned(l.Fd), SocketType.Unknown, listening: true, $"listener '{l.Name}'");
            }
            foreach (UpgradeStored s in state.Stored)
            {
                (ulong device, ulong inode) = native.Files.Identify(Owned(s.Fd));
                if (device != s.Device || inode != s.Inode)
                {
                    throw new IOException($"descriptor {s.Fd} is not the file stored as '{s.Name}' (device {s.Device} inode {s.Inode}; it is {device}/{inode})");
                }
            }

            // Every check passed: from here on each descriptor goes to its owner.
            // Each number gets a new owner below: the checking handles let go of theirs, or their finalizers would close
            // a listener, the notification socket or a stored file under its new owner.
            foreach (SafeFileHandle h in owned)
            {
                h.SetHandleAsInvalid();
            }
            owned.Clear();
            _notify = NotificationListener.Adopt(new SafeSocketHandle(state.NotifyFd, ownsHandle: true), state.NotifyAddress);
            foreach (UpgradeListener l in state.Listeners)
            {
                ListenerSpec spec = _options.Listeners.First(s => s.Name == l.Name);
                _listeners.Add(BoundListener.Adopt(spec, FdHandles.ToSocket(new SafeFileHandle(l.Fd, ownsHandle: true)), l.CreatedPath));
            }
            foreach (UpgradeStored s in state.Stored)
            {
                _store.Add(s.Name, new SafeFileHandle(s.Fd, ownsHandle: true), new FileIdentity(s.Device, s.Inode), s.FromPid, out _);
            }
        }
        catch
        {
            foreach (SafeFileHandle h in owned)
            {
                h.Dispose();
            }
            throw;
        }
        _machine.Restore(state.Generations, state.LastGeneration);
        foreach (GenerationSnapshot g in state.Generations)
        {
            if (!g.ChildEnded)
            {
                int pid = g.Pid;
                ChildProcess child = ChildProcess.Adopt(pid, _options.Command);
                _children[pid] = child;
                HoldChild(pid);
                child.Exited.ContinueWith(t => _inbox.Add(() => OnChildExited(pid, t.Result)), TaskScheduler.Default);
            }
            if (g.MainPid != g.Pid && !g.MainEnded)
            {
                Watch(g.MainPid);
            }
        }
        _outerToldReady = state.OuterReady;
        foreach (BoundListener l in _listeners)
        {
            _log.Write($"listening on {l.Spec.Name}={l.Address} (handed over)");
        }
        _log.Write($"upgraded: this program ({Environment.ProcessPath}) took over pid {Environment.ProcessId} with {state.Listeners.Count} listener(s), " +
            $"{_store.Entries.Count} stored descriptor(s) and {state.Generations.Count} generation(s): " +
            string.Join(", ", state.Generations.Select(g => g.Describe())));
        return true;
    }

    private static string ReadState(CliTarget native, int fd)
    {
        if (native.Files.TrySetCloseOnExec(fd) is int errno and not 0)
        {
            throw native.Error("fcntl", errno, $"taking the state descriptor {fd} ({UpgradeState.Variable})");
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        long length = RandomAccess.GetLength(handle);
        if (length <= 0 || length > UpgradeState.MaxBytes)
        {
            throw new IOException($"the state descriptor {fd} holds {length} bytes, not 1 to {UpgradeState.MaxBytes}");
        }
        byte[] bytes = new byte[length];
        int read = 0;
        while (read < bytes.Length)
        {
            int n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0)
            {
                throw new IOException($"the state descriptor {fd} ended after {read} of {length} bytes");
            }
            read += n;
        }
        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
    }

    private static void Expect(CliTarget native, SafeFileHandle handle, SocketType type, bool listening, string what)
    {
        DescriptorKind kind = native.Files.Describe(handle, out SocketType actualType, out bool isListening);
        if (kind != DescriptorKind.Socket || (type != SocketType.Unknown && actualType != type) || isListening != listening)
        {
            throw new IOException($"descriptor {Number(handle)}, handed over as {what}, is a {kind}{(kind == DescriptorKind.Socket ? $" ({actualType}{(isListening ? ", listening" : "")})" : "")}");
        }
    }
}
