using System;

namespace FdPasser.Tests.Support;

/// <summary>
/// Has the process catch its first exception before any test runs. The runtime opens descriptors then and keeps
/// them for the life of the process (a pipe pair on linux-arm64; none on linux-x64); in the middle of a test they
/// would count as a leak, or take the numbers a test has just closed and checks are closed.
/// </summary>
public sealed class FirstException
{
    public FirstException()
    {
        try
        {
            throw new InvalidOperationException("the process's first caught exception");
        }
        catch (InvalidOperationException)
        {
        }
    }
}
