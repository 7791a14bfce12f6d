using System;
using System.Runtime.InteropServices;

namespace FdPasser.Platform;

/// <summary>
/// Holds a reference on a SafeHandle for the length of a system call, so a concurrent Dispose cannot close
/// the descriptor (and let the number be reused) while the call still uses it.
/// </summary>
internal ref struct FdScope
{
    private readonly SafeHandle _handle;
    private bool _added;

    public FdScope(SafeHandle handle)
    {
        _handle = handle;
        _added = false;
        handle.DangerousAddRef(ref _added);
        Fd = (int)handle.DangerousGetHandle();
    }

    public int Fd { get; }

    public void Dispose()
    {
        if (_added)
        {
            _handle.DangerousRelease();
            _added = false;
        }
    }
}
