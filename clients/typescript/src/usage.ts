// What the customer app does with the API's types. `make client-check` generates generated/schema.d.ts from the
// schema (openapi-typescript) and type-checks this file: a schema change that would break the app's code (a field
// renamed or removed, money turned into a number, a status value dropped) fails the check.
import type { components, paths } from "../generated/schema";

type Schemas = components["schemas"];
type Json<T> = T extends { content: { "application/json": infer Body } } ? Body : never;

// Exactly the same type, not merely assignable (so `string | number` or `any` for money fails too).
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export type Booking = Schemas["Booking"];
export type Bill = Schemas["Bill"];
export type BillDetail = Schemas["BillDetail"];
export type Quote = Schemas["Quote"];

// Money is a decimal string ("1250.00"): the app formats it and never does float arithmetic on it.
export const amountDueIsString: Equals<Booking["amount_due"], string> = true;
export const billAmountDueIsString: Equals<Bill["amount_due"], string> = true;
export const quoteTotalIsString: Equals<Quote["total"], string> = true;

export function rupees(amount: string): string {
  return `₹${amount}`;
}

export function bookingLine(booking: Booking): string {
  const when = booking.slot ? `${booking.slot.date} ${booking.slot.start}` : "to be scheduled";
  return `${booking.code} · ${booking.pet_name} · ${when} · ${rupees(booking.amount_due)} due`;
}

export function needsPayment(booking: Booking): boolean {
  const open: Booking["payment_status"][] = ["unpaid", "partially_paid"];
  return open.includes(booking.payment_status) && booking.status !== "cancelled";
}

export function billSummary(bill: BillDetail): string[] {
  const paid = bill.payments.map((payment) => `${payment.received_at}: ${rupees(payment.amount)}`);
  return [`${bill.invoice_number ?? "no invoice yet"} · ${rupees(bill.final_amount)}`, ...paid];
}

// Requests and responses by path and method, as a fetch wrapper would type them.
type BookingList = Json<paths["/api/v1/bookings/"]["get"]["responses"][200]>;
type NewBooking = Json<paths["/api/v1/bookings/"]["post"]["requestBody"]>;
type Created = Json<paths["/api/v1/bookings/"]["post"]["responses"][201]>;
type BillList = Json<paths["/api/v1/bills/"]["get"]["responses"][200]>;

export const newBooking: NewBooking = {
  pet: 7,
  tests: [12, 15],
  collection_type: "home",
  address: 3,
  slot: 41,
  coupon_code: "WELCOME10",
  notes: "Gate code 4521",
};

export function bookingCodes(page: BookingList): string[] {
  return page.results.map((booking) => booking.code);
}

export function createdDue(created: Created): string {
  return created.amount_due;
}

export function totalDue(page: BillList): string[] {
  return page.results.map((bill) => bill.amount_due);
}
