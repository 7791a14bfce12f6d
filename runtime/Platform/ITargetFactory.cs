using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary>
/// Builds one thing per target from its generated ABI; <see cref="Transports.ForSocketTarget{TFactory}"/> holds the
/// table of targets once for every such thing. Not generic over the result: NativeAOT's scanner cannot lay out a
/// generic interface whose static abstract method is generic too.
/// </summary>
internal interface ITargetFactory
{
    static abstract object Create<TAbi>() where TAbi : struct, IPlatformAbi;
}
