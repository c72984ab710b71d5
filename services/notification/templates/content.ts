/** One template: subject and bodies with {{placeholders}}, filled by render.ts. */
export interface TemplateContent {
  subject: string;
  text: string;
  html?: string;
}
