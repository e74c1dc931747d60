var builder = WebApplication.CreateBuilder(args);
builder.Services.AddControllers();
var app = builder.Build();
app.MapControllers();
app.Run();

/// <summary>Entry point; public for WebApplicationFactory.</summary>
public partial class Program;
