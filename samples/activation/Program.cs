using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using FdPasser;
using FdPasser.Processes;
using FdPasser.Systemd;
using Microsoft.Win32.SafeHandles;

// A service manager and its service in one program. "manager" holds a TCP listener and a notification socket,
// and starts "service" twice with the listener (and whatever the service stored) in systemd's layout; each
// generation counts itself in a memory file it keeps in the manager's descriptor store.
return args.Length > 0 && args[0] == "service" ? Service.Run() : Manager.Run(generations: 2);

internal static class Manager
{
    public static int Run(int generations)
    {
        using var web = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        web.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        web.Listen();
        using var notifications = NotificationListener.Bind($"@activation-sample-{Environment.ProcessId}");
        var store = new Dictionary<string, SafeFileHandle>();
        for (int generation = 1; generation <= generations; generation++)
        {
            var options = new ChildProcessOptions(Environment.ProcessPath!, SelfArguments("service"));
            options.PassDescriptor(web.SafeHandle, "web");
            foreach (var (name, handle) in store)
            {
                options.PassDescriptor(handle, name);
            }
            options.Environment["NOTIFY_SOCKET"] = notifications.Address;
            ChildProcess child = ChildProcess.Start(options);
            Console.WriteLine($"manager: started {child}");
            while (true)
            {
                using ServiceNotification n = notifications.Receive();
                Console.WriteLine($"manager: {n}");
                if (n.IsFdStore && n.DescriptorCount == 1)
                {
                    store[n.FdName ?? "stored"] = n.TakeDescriptor(0);
                }
                if (n.IsReady)
                {
                    break;
                }
            }
            using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                client.Connect(web.LocalEndPoint!);
                Console.WriteLine("manager: asked, got '" + new StreamReader(new NetworkStream(client)).ReadToEnd() + "'");
            }
            Console.WriteLine($"manager: generation {generation} {child.WaitForExitAsync().GetAwaiter().GetResult()}");
        }
        foreach (SafeFileHandle h in store.Values)
        {
            h.Dispose();
        }
        return 0;
    }

    // Run as `dotnet activation-sample.dll` the program is the dll's host; as an apphost or NativeAOT binary, itself.
    private static string[] SelfArguments(string mode) =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
            ? new[] { Path.Combine(AppContext.BaseDirectory, "activation-sample.dll"), mode }
            : new[] { mode };
}

internal static class Service
{
    public static int Run()
    {
        using ListenDescriptors passed = ListenDescriptors.FromEnvironment();
        ServiceNotifier manager = ServiceNotifier.FromEnvironment(unsetEnvironment: true);
        // The generation count lives in a memory file the manager keeps for us between generations.
        SafeFileHandle state = passed.Find("state")?.TakeFileHandle() ?? AnonymousMemory.Create("state", sizeof(long));
        using (state)
        {
            Span<byte> count = stackalloc byte[sizeof(long)];
            RandomAccess.Read(state, count, 0);
            long generation = BitConverter.ToInt64(count) + 1;
            BitConverter.TryWriteBytes(count, generation);
            RandomAccess.Write(state, count, 0);
            if (passed.Find("state") is null)
            {
                manager.StoreDescriptors("state", new SafeHandle[] { state }, poll: false);
            }
            using Socket listener = passed.Get("web").TakeSocket();
            manager.Ready($"generation {generation}");
            using Socket client = listener.Accept();
            client.Send(Encoding.UTF8.GetBytes($"generation {generation} from pid {Environment.ProcessId}"));
            client.Shutdown(SocketShutdown.Send);
        }
        return 0;
    }
}
