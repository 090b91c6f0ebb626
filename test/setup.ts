// Tests run on whatever backend the environment asks for (NST_BACKEND), else the first that loads;
// silence tfjs' console banner so the output stays readable.
process.env.NST_QUIET = '1';
