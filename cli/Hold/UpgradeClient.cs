using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using FdPasser.Cli.Commands;

namespace FdPasser.Cli.Hold;

/// <summary>
/// <c>fdpass hold --upgrade [PATH]</c>: asks the running fdpass hold to execute PATH (default: the program it runs)
/// in its own process. An answer means it did not (and says why); the connection closing unanswered means it
/// executed the program, which is then asked for its status until it answers.
/// </summary>
internal static class UpgradeClient
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static int Run(string controlPath, string? path, uint ownUid, TextWriter output)
    {
        string request = path is null ? "upgrade" : "upgrade " + Path.GetFullPath(path);
        string answer = Ask(controlPath, request, ownUid);
        if (answer.Length > 0)
        {
            Console.Error.Write("fdpass hold: " + answer);
            return CommandLine.ExitCodes.Failure;
        }
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                string status = Ask(controlPath, "status", ownUid);
                output.Write("fdpass hold executed its new program and took everything over:\n" + status);
                output.Flush();
                return CommandLine.ExitCodes.Success;
            }
            catch (Exception e) when (e is FdPassingException or IOException && waited.Elapsed < Patience)
            {
                Thread.Sleep(100); // between the old program's control socket and the new one's
            }
            catch (Exception e) when (e is FdPassingException or IOException)
            {
                Console.Error.WriteLine($"fdpass hold: it executed the new program, which did not answer at {controlPath} within {Patience.TotalSeconds} s " +
                    $"(see its log): {OneLine.Of(e)}");
                return CommandLine.ExitCodes.Failure;
            }
        }
    }

    /// <summary>One request and its answer; only a holder running as <paramref name="ownUid"/> or root is sent it.</summary>
    private static string Ask(string controlPath, string request, uint ownUid)
    {
        using FdChannel channel = Endpoint.Connect(controlPath);
        uint server = channel.GetPeerCredentials().UserId;
        if (server != ownUid && server != 0)
        {
            throw new InvalidOperationException($"the control socket '{controlPath}' is served by uid {server}, which is neither uid {ownUid} nor root: not trusted, nothing sent");
        }
        channel.SendRaw(Encoding.ASCII.GetBytes(request + "\n"), ReadOnlySpan<int>.Empty);
        var answer = new MemoryStream();
        while (true)
        {
            using FdMessage part = channel.ReceiveRaw(64 * 1024, 0);
            if (part.Payload.IsEmpty)
            {
                return Encoding.UTF8.GetString(answer.GetBuffer(), 0, (int)answer.Length);
            }
            answer.Write(part.Payload.Span);
        }
    }
}
