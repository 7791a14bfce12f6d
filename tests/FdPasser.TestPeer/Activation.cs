using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using FdPasser;
using FdPasser.Systemd;

// What a socket-activated service does: take its descriptors by name, serve on a listener, tell its manager.
internal static class Activation
{
    /// <summary>Prints LISTEN_PID as found, each descriptor taken, what is left in the environment, and every open descriptor.</summary>
    public static int Report()
    {
        string listenPid = Environment.GetEnvironmentVariable("LISTEN_PID") ?? "-";
        Console.WriteLine($"pid {Environment.ProcessId} listen_pid {listenPid}");
        // Open descriptors before the runtime opens more of its own: what was inherited.
        using ListenDescriptors passed = ListenDescriptors.FromEnvironment();
        foreach (ListenDescriptor d in passed)
        {
            Console.WriteLine($"fd {d.Number} {d.Name} {d.Kind} {d.SocketType} listening={d.IsListening} cloexec={IsCloseOnExec(d.Number)}");
        }
        Console.WriteLine("env " + (Environment.GetEnvironmentVariable("LISTEN_FDS") ?? "unset"));
        if (passed.Find("state") is { Kind: DescriptorKind.RegularFile } state)
        {
            using var stream = new FileStream(state.TakeFileHandle(), FileAccess.Read);
            stream.Position = 0;
            Console.WriteLine("state " + new StreamReader(stream).ReadToEnd());
        }
        return 0;
    }

    /// <summary>Accepts one connection on the listener named <paramref name="name"/> and answers it.</summary>
    public static int Serve(string name)
    {
        using ListenDescriptors passed = ListenDescriptors.FromEnvironment();
        using Socket listener = passed.Get(name).TakeSocket();
        using Socket client = listener.Accept();
        client.Send(Encoding.UTF8.GetBytes($"hello {name} from pid {Environment.ProcessId} ({passed.Count} passed)"));
        client.Shutdown(SocketShutdown.Send);
        return 0;
    }

    /// <summary>Stores a memory file holding <paramref name="text"/> under "state", then says READY=1.</summary>
    public static int Notify(string text)
    {
        ServiceNotifier notifier = ServiceNotifier.FromEnvironment();
        using var memory = AnonymousMemory.Create("state");
        using (var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(memory.DangerousGetHandle(), ownsHandle: false), FileAccess.Write))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
        }
        Console.WriteLine("store " + notifier.StoreDescriptors("state", new System.Runtime.InteropServices.SafeHandle[] { memory }, poll: false));
        Console.WriteLine("ready " + notifier.Ready("serving"));
        return 0;
    }

    /// <summary>
    /// Takes the descriptors where LISTEN_FDS says more than were passed: prints the exception, which descriptors are
    /// still open, and then runs code the JIT has not compiled yet (which needs the runtime's own descriptors).
    /// </summary>
    public static int ReportOvercount()
    {
        int[] before = OpenDescriptors();
        try
        {
            using ListenDescriptors passed = ListenDescriptors.FromEnvironment();
            Console.WriteLine("taken " + passed.Count);
        }
        catch (Exception e)
        {
            Console.WriteLine("refused " + e.GetType().Name + ": " + e.Message.Replace('\n', ' '));
        }
        int[] closed = before.Except(OpenDescriptors()).ToArray();
        Console.WriteLine("closed [" + string.Join(",", closed) + "]");
        Console.WriteLine("fd3 cloexec=" + IsCloseOnExec(3));
        // Freshly compiled code: the JIT writes it through its double mapping, which aborts where that was closed.
        var sum = Enumerable.Range(0, 100).Select(i => new { i, s = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }).GroupBy(x => x.s.Length).ToDictionary(g => g.Key, g => g.Count());
        Console.WriteLine("alive " + sum[2]);
        return 0;
    }

    private static int[] OpenDescriptors() =>
        Directory.GetFiles("/proc/self/fd").Select(f => int.Parse(Path.GetFileName(f), System.Globalization.CultureInfo.InvariantCulture)).Where(fd => fd >= 3).Order().ToArray();

    private static bool IsCloseOnExec(int fd) =>
        (Convert.ToInt32(File.ReadAllLines($"/proc/self/fdinfo/{fd}").First(l => l.StartsWith("flags:", StringComparison.Ordinal)).Substring(6).Trim(), 8) & 0x80000) != 0;
}
