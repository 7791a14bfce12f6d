using System;
using System.IO;
using System.Text;
using System.Threading;
using FdPasser.Cli.Commands;

namespace FdPasser.Cli.Hold;

/// <summary><c>fdpass hold --reload</c> and <c>--status</c>: one request line to the control socket, the answer to standard output.</summary>
internal static class ControlClient
{
    /// <summary>The last line of an answer to <c>reload wait</c>: the exit code the client returns (not printed).</summary>
    public const string ExitLinePrefix = "exit ";

    public static int Ask(string controlPath, string request, TextWriter output)
    {
        using FdChannel channel = Connect(controlPath);
        channel.SendRaw(Encoding.ASCII.GetBytes(request + "\n"), ReadOnlySpan<int>.Empty);
        var answer = new MemoryStream();
        while (true)
        {
            // A reload that is waited for answers once the new generation is ready or rolled back, however long
            // that takes; fdpass hold bounds it (--ready-timeout, --timeout), so this waits as long as it does.
            using FdMessage part = channel.ReceiveRawAsync(64 * 1024, 0, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (part.Payload.IsEmpty)
            {
                break;
            }
            answer.Write(part.Payload.Span);
        }
        string text = Encoding.UTF8.GetString(answer.GetBuffer(), 0, (int)answer.Length);
        int code = CommandLine.ExitCodes.Success;
        int last = text.TrimEnd('\n').LastIndexOf('\n') + 1;
        if (text.AsSpan(last).StartsWith(ExitLinePrefix, StringComparison.Ordinal) &&
            int.TryParse(text.AsSpan(last + ExitLinePrefix.Length).TrimEnd('\n'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int parsed))
        {
            code = parsed;
            text = text[..last];
        }
        output.Write(text);
        output.Flush();
        return code;
    }

    /// <summary>
    /// Connects to the control socket; where nothing is there (ENOENT) or nothing listens (ECONNREFUSED: a socket
    /// file left by a holder killed with SIGKILL), says that no fdpass hold is running rather than what connect() said.
    /// </summary>
    private static FdChannel Connect(string controlPath)
    {
        try
        {
            return Endpoint.Connect(controlPath);
        }
        catch (FdPassingException e) when (e.Syscall == "connect" && e.ErrnoName is "ENOENT" or "ECONNREFUSED")
        {
            string why = e.ErrnoName == "ENOENT" ? "" : ": a socket file nothing listens on";
            throw new IOException($"no fdpass hold is running (control socket {controlPath}{why})", e);
        }
    }
}
