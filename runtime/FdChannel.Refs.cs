using System;
using System.Runtime.InteropServices;

namespace FdPasser;

// The handles a send passes: each is referenced for the send, so none can be closed (and its number reused) meanwhile.
public sealed partial class FdChannel
{
    /// <summary>
    /// Takes a reference on every handle to be sent and writes its number into <paramref name="fds"/>, so none can
    /// be closed (and its number reused) during the send; pair with <see cref="ReleaseRefs"/>.
    /// </summary>
    private static void AddRefs(ReadOnlySpan<SafeHandle> handles, Span<int> fds)
    {
        int referenced = 0;
        try
        {
            for (; referenced < handles.Length; referenced++)
            {
                bool added = false;
                handles[referenced].DangerousAddRef(ref added);
                fds[referenced] = (int)handles[referenced].DangerousGetHandle();
            }
        }
        catch
        {
            ReleaseRefs(handles.Slice(0, referenced));
            throw;
        }
    }

    private static void ReleaseRefs(ReadOnlySpan<SafeHandle> handles)
    {
        foreach (SafeHandle handle in handles)
        {
            handle.DangerousRelease();
        }
    }
}
