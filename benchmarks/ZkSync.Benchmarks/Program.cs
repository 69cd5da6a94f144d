Console.WriteLine("ZkSync benchmarks: not yet implemented.");
