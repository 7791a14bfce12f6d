using System;
using System.IO;
using System.Text;
using FdPasser.Cli.Commands;

namespace FdPasser.Cli.Hold;

/// <summary><c>fdpass hold --reload</c> and <c>--status</c>: one request line to the control socket, the answer to standard output.</summary>
internal static class ControlClient
{
    public static int Ask(string controlPath, string request, TextWriter output)
    {
        using FdChannel channel = Endpoint.Connect(controlPath);
        channel.SendRaw(Encoding.ASCII.GetBytes(request + "\n"), ReadOnlySpan<int>.Empty);
        var answer = new MemoryStream();
        while (true)
        {
            using FdMessage part = channel.ReceiveRaw(64 * 1024, 0);
            if (part.Payload.IsEmpty)
            {
                break;
            }
            answer.Write(part.Payload.Span);
        }
        output.Write(Encoding.UTF8.GetString(answer.GetBuffer(), 0, (int)answer.Length));
        output.Flush();
        return CommandLine.ExitCodes.Success;
    }
}
