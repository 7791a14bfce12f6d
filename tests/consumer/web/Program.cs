// The README's third quick start, as written there.
using FdPasser.AspNetCore;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseInheritedListeners("web");   // the listener fdpass hold or systemd passes as 'web'
WebApplication app = builder.Build();
app.MapGet("/", () => $"pid {Environment.ProcessId}\n");
app.Run();
