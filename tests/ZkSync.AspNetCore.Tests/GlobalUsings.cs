global using System.Globalization;
global using System.Net;
global using Microsoft.Extensions.Logging;
