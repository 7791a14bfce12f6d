using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using FdPasser.Cli.Server;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;
using FdPasser.Hosting;

namespace FdPasser.Cli.Commands;

/// <summary>
/// The demo's first process: an open server on a temporary endpoint that serves one client, a second fdpass
/// process it starts, then passes that client a connected socket too, narrating every step.
/// </summary>
internal sealed class DemoServer
{
    public const string FileName = "greeting.txt";

    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    private readonly TextWriter _output;
    private readonly string _prefix = $"[server pid {Environment.ProcessId}]";

    public DemoServer(TextWriter output)
    {
        _output = output;
    }

    private void Say(string line) => _output.WriteLine($"{_prefix} {line}");

    public int Run()
    {
        _output.WriteLine("fdpass demo: an open file and a connected socket cross from one process to another.");
        DirectoryInfo scratch = Directory.CreateTempSubdirectory("fdpass-demo-");
        int exitCode;
        try
        {
            exitCode = RunIn(scratch.FullName);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
        Say($"removed {scratch.FullName} and everything in it");
        _output.WriteLine(exitCode == 0 ? "demo finished: both descriptors worked in the other process." : "demo failed: the client did not finish.");
        return exitCode;
    }

    private int RunIn(string directory)
    {
        FileCalls files = CliTarget.Current.Files;
        string text = $"Hello from pid {Environment.ProcessId}: this line was read through a descriptor it opened.\n";
        File.WriteAllText(Path.Combine(directory, FileName), text);
        Say($"wrote {FileName} ({Encoding.UTF8.GetByteCount(text)} bytes) into the scratch directory {directory}");
        string endpoint = Path.Combine(directory, "demo.sock");
        using FdListener listener = FdListener.Create(endpoint);
        Say($"listening on {endpoint} (socket file mode 0600: only this user can connect)");
        PathResolver resolver = PathResolver.Create(directory, files);
        using BeneathOpener beneath = BeneathOpener.Open(resolver.Root, files, allowOpenat2: true);
        var opener = new FileOpener(resolver, beneath, allowWrite: false, files);

        using Process client = Process.Start(SelfCommand("demo", "--client", endpoint))
            ?? throw new IOException("could not start the client process");
        Say($"started a second fdpass process as the client: pid {client.Id}");
        try
        {
            Serve(listener, opener, client);
        }
        catch
        {
            if (!client.HasExited)
            {
                client.Kill();
            }
            throw;
        }
        if (!client.WaitForExit(StepTimeout))
        {
            client.Kill();
            throw new TimeoutException($"the client (pid {client.Id}) did not exit within {StepTimeout.TotalSeconds} s; it was killed");
        }
        Say($"the client exited with code {client.ExitCode}; removing the socket file");
        return client.ExitCode == 0 ? 0 : 1;
    }

    private void Serve(FdListener listener, FileOpener opener, Process client)
    {
        FdConnection connection = Accept(listener, client);
        using FdChannel channel = connection.Channel;
        channel.Timeout = StepTimeout;

        var reader = new RequestReader(channel);
        byte[] bytes = ReadRequest(reader);
        string match = connection.Peer.ProcessId == client.Id ? " (the process started above)" : "";
        Say($"accepted a connection; the kernel reports the peer as pid {connection.Peer.ProcessId}, uid {connection.Peer.UserId}, gid {connection.Peer.GroupId}{match}");
        OpenRequest request = OpenRequest.TryParse(bytes, out string problem) ?? throw new IOException("the client's request is malformed: " + problem);
        Say($"request: \"open {request.Path} {request.Flags}\" ({OpenFlags.Describe(request.Flags, CliTarget.Current.Constants)})");
        SafeFileHandle file = opener.Open(request, out Refusal refusal)
            ?? throw new IOException($"could not open {request.Path}: {refusal.Message}");
        using (file)
        {
            Say($"opened {request.Path} as descriptor {file.DangerousGetHandle()} here; passing it, then closing this copy");
            channel.SendDescriptor(file);
        }

        // The client asks for the socket once it has shown the file, which keeps the two narrations in order.
        string next = Encoding.UTF8.GetString(ReadRequest(reader));
        if (next != DemoClient.SocketRequest)
        {
            throw new IOException($"the client sent \"{next}\" where it should ask for the socket");
        }
        Say($"request: \"{next}\"");
        var (mine, theirs) = FdChannel.CreatePair();
        using (mine)
        {
            byte[] ping = Encoding.UTF8.GetBytes($"ping through a passed socket from pid {Environment.ProcessId}");
            mine.SendRaw(ping, ReadOnlySpan<int>.Empty);
            Say($"made a connected socket pair (descriptors {mine.Descriptor} and {theirs.Descriptor}), wrote {ping.Length} bytes into {mine.Descriptor}; passing {theirs.Descriptor}, then closing this copy");
            using (theirs)
            {
                channel.SendDescriptor(theirs.SafeHandle);
            }
            mine.Timeout = StepTimeout;
            using FdMessage reply = mine.ReceiveRaw(256, maxDescriptors: 0);
            Say($"read {reply.Payload.Length} bytes on descriptor {mine.Descriptor}, the other end of the passed socket: \"{Encoding.UTF8.GetString(reply.Payload.Span)}\"");
        }
    }

    private static byte[] ReadRequest(RequestReader reader)
    {
        using var timeout = new CancellationTokenSource(StepTimeout);
        return reader.ReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult()
            ?? throw new IOException("the client closed the connection instead of sending a request");
    }

    private static FdConnection Accept(FdListener listener, Process client)
    {
        DateTime deadline = DateTime.UtcNow + StepTimeout;
        while (!listener.Poll(TimeSpan.FromMilliseconds(200)))
        {
            if (client.HasExited)
            {
                throw new IOException($"the client exited with code {client.ExitCode} before connecting");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the client did not connect within {StepTimeout.TotalSeconds} s");
            }
        }
        return listener.Accept();
    }

    /// <summary>This program again: the native binary or apphost itself, or <c>dotnet fdpass.dll</c>.</summary>
    private static ProcessStartInfo SelfCommand(params string[] args)
    {
        string self = Environment.ProcessPath ?? throw new IOException("cannot find this program's own path to start the client");
        var start = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fdpass.dll"));
        }
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return start;
    }
}
