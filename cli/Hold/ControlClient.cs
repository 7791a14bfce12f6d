using System;
using System.IO;
using System.Text;
using FdPasser.Cli.Commands;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary><c>fdpass hold --reload</c> and <c>--status</c>: one request line to the control socket, the answer to standard output.</summary>
internal static class ControlClient
{
    private static FdPasser.Interop.PlatformConstants Errnos => CliTarget.Current.Constants;

    /// <summary>The last line of an answer to <c>reload wait</c>: the exit code the client returns (not printed).</summary>
    public const string ExitLinePrefix = "exit ";

    /// <summary>
    /// Asks the holder at <paramref name="controlPath"/>, which must run as <paramref name="ownUid"/> or as root
    /// (whoever else bound the path first is not trusted, and not sent the request). The answer is printed with
    /// every control character escaped; a refusal goes to <paramref name="errors"/> and exits 1.
    /// </summary>
    public static int Ask(string controlPath, string request, uint ownUid, TextWriter output, TextWriter errors)
    {
        using FdChannel channel = Connect(controlPath);
        uint server = channel.GetPeerCredentials().UserId;
        if (server != ownUid && server != 0)
        {
            throw new IOException($"the control socket '{controlPath}' is served by uid {server}, which is neither uid {ownUid} nor root: not trusted, nothing sent");
        }
        try
        {
            channel.SendRaw(Encoding.ASCII.GetBytes(request + "\n"), ReadOnlySpan<int>.Empty);
        }
        catch (FdPassingException e) when (e.Errno == Errnos.EPIPE || e.Errno == Errnos.ECONNRESET)
        {
            // The holder answered and closed before the request was written (a refusal): its answer is still to read.
        }
        string answer = Escaped(ReadToEnd(channel));
        if (answer.StartsWith("refused: ", StringComparison.Ordinal))
        {
            errors.Write("fdpass hold: " + answer);
            errors.Flush();
            return CommandLine.ExitCodes.Failure;
        }
        int code = CommandLine.ExitCodes.Success;
        int last = answer.TrimEnd('\n').LastIndexOf('\n') + 1;
        if (answer.AsSpan(last).StartsWith(ExitLinePrefix, StringComparison.Ordinal) &&
            int.TryParse(answer.AsSpan(last + ExitLinePrefix.Length).TrimEnd('\n'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int parsed))
        {
            code = parsed; // reload wait: how the reload ended
            answer = answer[..last];
        }
        output.Write(answer);
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
        catch (FdPassingException e) when (e.Syscall == "connect" && (e.Errno == Errnos.ENOENT || e.Errno == Errnos.ECONNREFUSED))
        {
            string why = e.Errno == Errnos.ENOENT ? "" : ": a socket file nothing listens on";
            throw new IOException($"no fdpass hold is running (control socket {controlPath}{why})", e);
        }
    }

    private static string ReadToEnd(FdChannel channel)
    {
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
        return Encoding.UTF8.GetString(answer.GetBuffer(), 0, (int)answer.Length);
    }

    /// <summary>Each line escaped (escape sequences, carriage returns, bidi controls): the server's bytes cannot drive the terminal.</summary>
    private static string Escaped(string answer)
    {
        string[] lines = answer.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            lines[i] = OneLine.Escape(lines[i]);
        }
        return string.Join('\n', lines);
    }
}
