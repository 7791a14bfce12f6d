using Microsoft.Win32.SafeHandles;

namespace FdPasser.Platform;

/// <summary>Anonymous shared memory (memfd_create and its seals, shm_open unlinked), implemented once per target by <c>MemoryCalls&lt;TAbi&gt;</c>.</summary>
internal abstract class MemoryCalls : TargetCalls
{
    public abstract bool HasMemfd { get; }

    public abstract SafeFileHandle CreateMemfd(string name, bool allowSealing);

    public abstract SafeFileHandle CreateUnlinkedSharedMemory(string name);

    public abstract void Truncate(SafeFileHandle handle, long length);

    /// <summary>Maps <see cref="MemorySeals"/> to the target's F_SEAL_* bits and back.</summary>
    public abstract int SealBits(MemorySeals seals);

    public abstract MemorySeals SealsFromBits(int bits);

    public abstract void AddSeals(SafeFileHandle handle, int bits);

    public abstract int GetSeals(SafeFileHandle handle);
}
