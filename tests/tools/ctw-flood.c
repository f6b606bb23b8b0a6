/* Placeholder: replaced by the traffic generator. */
int main(void) { return 1; }
