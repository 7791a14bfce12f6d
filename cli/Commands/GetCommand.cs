using System;
using System.IO;
using System.Text;
using FdPasser.Cli.CommandLine;
using FdPasser.Cli.Server;
using FdPasser.Interop;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;
using FdPasser.Hosting;

namespace FdPasser.Cli.Commands;

/// <summary><c>fdpass get ENDPOINT PATH [--flags FLAGS]</c>: the classic client, endp_connect + request + recv_fh.</summary>
internal static class GetCommand
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    public static int Run(ReadOnlySpan<string> args, TextWriter output, TextWriter error)
    {
        var a = ArgumentReader.Parse("get", args, ["--flags"], []);
        if (a.HelpRequested)
        {
            output.WriteLine(HelpText.Get);
            return ExitCodes.Success;
        }
        string[] positionals = a.Expect("ENDPOINT", "PATH");
        string endpoint = positionals[0], path = positionals[1];
        PlatformConstants abi = CliTarget.Current.Constants;
        int flags = abi.O_RDONLY;
        if (a.Single("--flags") is { } text)
        {
            flags = OpenFlags.Parse(text, abi) ?? throw a.Usage($"--flags '{text}' is neither a number nor O_* names such as O_WRONLY|O_CREAT");
        }
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            throw a.Usage("PATH must be non-empty and contain no NUL character");
        }

        using FdChannel channel = Endpoint.Connect(endpoint);
        channel.Timeout = AnswerTimeout;
        channel.SendRaw(Encoding.UTF8.GetBytes($"open {path} {flags}\0"), ReadOnlySpan<int>.Empty);
        SafeFileHandle handle;
        try
        {
            handle = channel.ReceiveDescriptor();
        }
        catch (FdPeerErrorException e)
        {
            error.WriteLine($"fdpass get: refused by the server: {OneLine.Escape(e.PeerMessage ?? $"no message for '{path}'")} (status {e.ErrorCode}, {Endpoint.ErrnoName(e.ErrorCode)})");
            return ExitCodes.Refused;
        }
        catch (EndOfStreamException)
        {
            throw new IOException($"the server closed the connection without answering the request for '{path}'");
        }
        using (handle)
        {
            Copy(handle, path);
        }
        return ExitCodes.Success;
    }

    private static void Copy(SafeFileHandle handle, string path)
    {
        FileStream stream;
        try
        {
            stream = FdHandles.ToFileStream(handle);
        }
        catch (UnauthorizedAccessException)
        {
            throw new IOException($"received a descriptor for '{path}', but it cannot be read as a file (a directory?)");
        }
        using (stream)
        {
            if (stream.CanRead)
            {
                using Stream stdout = Console.OpenStandardOutput();
                byte[] buffer = new byte[81920];
                while (true)
                {
                    int n;
                    try
                    {
                        n = stream.Read(buffer);
                    }
                    catch (IOException e)
                    {
                        throw new IOException($"received a descriptor for '{path}', but reading through it failed: {e.Message}");
                    }
                    if (n == 0)
                    {
                        break;
                    }
                    stdout.Write(buffer, 0, n);
                }
            }
            else
            {
                using Stream stdin = Console.OpenStandardInput();
                stdin.CopyTo(stream);
            }
        }
    }
}
