using System;
using System.IO;

namespace FdPasser.Cli;

/// <summary>Makes an exception's message one line, for error output and logs.</summary>
internal static class OneLine
{
    public static string Of(Exception e)
    {
        string message = e.Message.ReplaceLineEndings(" ").Trim();
        return e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or TimeoutException or PlatformNotSupportedException
            ? message
            : $"{message} ({e.GetType().Name})";
    }
}
