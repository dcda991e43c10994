process.stdout.write('dashscope-tts: not implemented yet\n');
