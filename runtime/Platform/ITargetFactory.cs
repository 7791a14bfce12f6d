using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary>
/// Builds one thing per target from its generated ABI; <see cref="Transports.ForSocketTarget{TFactory, T}"/> holds
/// the table of targets once for every such thing.
/// </summary>
internal interface ITargetFactory<T>
{
    static abstract T Create<TAbi>() where TAbi : struct, IPlatformAbi;
}
